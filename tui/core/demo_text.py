"""Words for the demo store: names, places and ticket text in six languages."""

from __future__ import annotations

LANGUAGES = {
    "en": {"countries": [("GB", "UK & Ireland"), ("IE", "UK & Ireland"), ("US", "North America")],
           "first": ["Oliver", "Emily", "James", "Siobhan", "Grace", "Connor", "Madison", "Ethan"],
           "last": ["Walsh", "Hughes", "O'Brien", "Carter", "Bennett", "Murphy", "Foster", "Price"],
           "company": ["Harbour Logistics", "Kestrel Foods", "Brightwater Ltd", "Maple & Finch"]},
    "nb": {"countries": [("NO", "Nordics")],
           "first": ["Ingrid", "Håkon", "Sølvi", "Øystein", "Kjersti", "Bjørn", "Åse", "Torbjørn"],
           "last": ["Bråten", "Sæther", "Løkken", "Haugen", "Ødegård", "Strøm", "Fjære", "Ås"],
           "company": ["Fjordkraft Handel", "Nordlys Bygg AS", "Bølgen Sjømat", "Trøndelag Trykk"]},
    "fi": {"countries": [("FI", "Nordics")],
           "first": ["Aino", "Väinö", "Päivi", "Jyrki", "Säde", "Mikko", "Jänne", "Eeva"],
           "last": ["Mäkelä", "Järvinen", "Hämäläinen", "Söderström", "Kärkkäinen", "Lehtonen", "Nieminen", "Pöyhönen"],
           "company": ["Kivikylän Kauppa Oy", "Järvisuomen Sähkö", "Pohjolan Pyörä Oy", "Hämeen Leipä"]},
    "cs": {"countries": [("CZ", "Central Europe")],
           "first": ["Jiří", "Kateřina", "Tomáš", "Zdeňka", "Přemysl", "Lucie", "Radek", "Věra"],
           "last": ["Dvořák", "Černá", "Novák", "Růžičková", "Kříž", "Procházka", "Šťastný", "Hájková"],
           "company": ["Strojírny Říčany", "Pekárna U Mostu", "Česká Účetní s.r.o.", "Brněnská Elektro"]},
    "da": {"countries": [("DK", "Nordics")],
           "first": ["Søren", "Mette", "Jørgen", "Birgitte", "Mads", "Signe", "Frederik", "Anne-Sofie"],
           "last": ["Sørensen", "Kjær", "Møller", "Jørgensen", "Bæk", "Holm", "Lund", "Østergaard"],
           "company": ["Havnens Fisk ApS", "Kærgård Møbler", "Aarhus Ølbryggeri", "Østjysk VVS"]},
    "ro": {"countries": [("RO", "Eastern Europe")],
           "first": ["Ștefan", "Ioana", "Mihai", "Bianca", "Răzvan", "Andreea", "Tudor", "Cătălina"],
           "last": ["Popescu", "Ionescu", "Constantinescu", "Stănescu", "Dumitrașcu", "Vlădescu", "Țurcanu", "Mureșan"],
           "company": ["Vânzări Rapide SRL", "Brașov Construct", "Carpați Transport", "Dulcețuri Bunica"]},
}

# Topics: (issue_key, subject template, body template) per language; {product} is filled in.
TOPICS = {
    "en": [
        ("billing", "Invoice for {product} is wrong", "Hello, the invoice for {product} charges me twice for the same month. Could you correct it?"),
        ("login", "Cannot log in to my account", "I reset my password twice but the login page still says my account is locked."),
        ("defect", "{product} stopped working after the update", "Since yesterday's update {product} shows an error at start-up and closes."),
        ("delivery", "Order delivery is late", "My order with {product} was due on Monday and has still not arrived."),
        ("return", "I want to return {product}", "The {product} does not fit our needs. How do I return it for a refund?"),
        ("warranty", "Question about the warranty", "Is {product} still covered by the warranty after eighteen months?"),
    ],
    "nb": [
        ("billing", "Fakturaen for {product} er feil", "Hei, fakturaen for {product} belaster meg to ganger for samme måned. Kan dere rette det?"),
        ("login", "Kan ikke logge inn på kontoen min", "Jeg har tilbakestilt passordet to ganger, men kontoen er fortsatt låst."),
        ("defect", "{product} slutter å virke etter oppdatering", "Etter gårsdagens oppdatering viser {product} en feilmelding og lukker seg."),
        ("delivery", "Levering av bestillingen er forsinket", "Bestillingen min med {product} skulle komme på mandag, men har ikke kommet ennå."),
        ("return", "Ønsker å returnere {product}", "{product} passer ikke for oss. Hvordan returnerer jeg den og får pengene tilbake?"),
        ("warranty", "Spørsmål om garantien", "Er {product} fortsatt dekket av garantien etter atten måneder?"),
    ],
    "fi": [
        ("billing", "Laskussa on virhe: {product}", "Hei, laskussa {product} on veloitettu kahdesti samasta kuukaudesta. Voitteko korjata sen?"),
        ("login", "En pääse kirjautumaan tililleni", "Vaihdoin salasanan kahdesti, mutta tili on edelleen lukittu."),
        ("defect", "{product} ei käynnisty päivityksen jälkeen", "Eilisen päivityksen jälkeen {product} näyttää virheilmoituksen ja sulkeutuu."),
        ("delivery", "Tilauksen toimitus on myöhässä", "Tilaukseni ({product}) piti saapua maanantaina, mutta sitä ei ole vieläkään näkynyt."),
        ("return", "Haluan palauttaa tuotteen {product}", "{product} ei sovi tarpeisiimme. Miten palautan sen ja saan rahat takaisin?"),
        ("warranty", "Kysymys takuusta", "Kuuluuko {product} vielä takuun piiriin kahdeksantoista kuukauden jälkeen?"),
    ],
    "cs": [
        ("billing", "Chyba ve faktuře za {product}", "Dobrý den, faktura za {product} mi účtuje stejný měsíc dvakrát. Můžete ji opravit?"),
        ("login", "Nemohu se přihlásit ke svému účtu", "Heslo jsem obnovil dvakrát, ale účet je stále zablokovaný."),
        ("defect", "{product} po aktualizaci nefunguje", "Od včerejší aktualizace {product} při spuštění hlásí chybu a zavře se."),
        ("delivery", "Zpoždění doručení objednávky", "Moje objednávka s {product} měla dorazit v pondělí, ale stále nepřišla."),
        ("return", "Chci vrátit {product}", "{product} nám nevyhovuje. Jak ho mohu vrátit a dostat peníze zpět?"),
        ("warranty", "Dotaz na záruku", "Vztahuje se na {product} ještě záruka po osmnácti měsících?"),
    ],
    "da": [
        ("billing", "Fejl i fakturaen for {product}", "Hej, fakturaen for {product} opkræver mig to gange for samme måned. Kan I rette det?"),
        ("login", "Kan ikke logge ind på min konto", "Jeg har nulstillet adgangskoden to gange, men kontoen er stadig låst."),
        ("defect", "{product} virker ikke efter opdatering", "Efter gårsdagens opdatering viser {product} en fejl ved opstart og lukker."),
        ("delivery", "Forsinket levering af ordre", "Min ordre med {product} skulle være kommet mandag, men er stadig ikke ankommet."),
        ("return", "Jeg vil returnere {product}", "{product} passer ikke til vores behov. Hvordan returnerer jeg den mod refusion?"),
        ("feedback", "Kundetilfredshed: opfølgning på min sag", "Jeg er ikke tilfreds med svaret på min sidste sag om {product}. Kan nogen ringe mig op?"),
    ],
    "ro": [
        ("billing", "Eroare în factura pentru {product}", "Bună ziua, factura pentru {product} îmi taxează aceeași lună de două ori. Puteți să o corectați?"),
        ("login", "Nu mă pot conecta la contul meu", "Am resetat parola de două ori, dar contul este în continuare blocat."),
        ("defect", "{product} nu mai funcționează după actualizare", "De la actualizarea de ieri, {product} afișează o eroare la pornire și se închide."),
        ("delivery", "Livrarea comenzii întârzie", "Comanda mea cu {product} trebuia să ajungă luni și încă nu a sosit."),
        ("sales", "Problemă cu departamentul de vânzări", "Departamentul de vânzări mi-a promis o reducere pentru {product}, dar nu apare pe factură."),
        ("warranty", "Întrebare despre garanție", "Mai este {product} acoperit de garanție după optsprezece luni?"),
    ],
}

REPLIES = {
    "en": ("Thank you for writing to us. I have looked into it and fixed the problem; please let me know if anything is still wrong.", "Thanks, that solved it!"),
    "nb": ("Takk for at du kontaktet oss. Jeg har sett på saken og rettet feilen; si ifra hvis noe fortsatt ikke stemmer.", "Takk, det løste problemet!"),
    "fi": ("Kiitos yhteydenotostasi. Tarkistin asian ja korjasin virheen; kerrothan, jos jokin on vielä pielessä.", "Kiitos, se korjasi ongelman!"),
    "cs": ("Děkujeme, že jste nás kontaktovali. Problém jsem prověřil a opravil; dejte mi prosím vědět, pokud něco stále nefunguje.", "Děkuji, tím se to vyřešilo!"),
    "da": ("Tak fordi du skrev til os. Jeg har undersøgt sagen og rettet fejlen; sig til, hvis noget stadig ikke er i orden.", "Tak, det løste problemet!"),
    "ro": ("Vă mulțumim că ne-ați scris. Am verificat și am rezolvat problema; vă rog să-mi spuneți dacă mai este ceva în neregulă.", "Mulțumesc, asta a rezolvat problema!"),
}

CHASERS = {
    "en": "Any news on this? It is still not working.",
    "nb": "Noe nytt her? Det virker fortsatt ikke.",
    "fi": "Onko tähän tullut mitään uutta? Se ei vieläkään toimi.",
    "cs": "Je nějaká novinka? Pořád to nefunguje.",
    "da": "Er der noget nyt? Det virker stadig ikke.",
    "ro": "Aveți vreo noutate? Tot nu funcționează.",
}

NOTES = [
    "Checked the billing system: duplicate charge confirmed, refund requested.",
    "Customer is a key account — keep them updated daily.",
    "Reproduced on version 4.2; escalation not needed.",
    "Courier tracking shows the parcel stuck at the depot.",
]

CALL_NOTES = [
    "Called the customer, walked through the reset steps together; works now.",
    "Phone call: explained the return procedure and sent the label by email.",
    "Call: customer confirmed the fix after the restart.",
]

PRODUCTS = [
    ("Aurora Router X2", "networking"), ("Aurora Mesh Pro", "networking"),
    ("Fjell Laptop 14", "computers"), ("Fjell Laptop 16", "computers"),
    ("Norrsken Monitor 27", "displays"), ("Kvist Keyboard", "accessories"),
    ("Kvist Mouse", "accessories"), ("Sauna Smart Thermostat", "smart home"),
    ("Sauna Smart Plug", "smart home"), ("Vltava Printer 300", "printers"),
    ("Vltava Ink Pack", "printers"), ("Dunărea Backup Cloud", "software"),
    ("Dunărea Office Suite", "software"), ("Øresund Headset", "audio"),
    ("Øresund Speaker", "audio"),
]

CURRENCY = {"GB": "GBP", "IE": "EUR", "US": "USD", "NO": "NOK", "FI": "EUR", "CZ": "CZK",
            "DK": "DKK", "RO": "RON"}
RATE_TO_EUR = {"GBP": 1.17, "EUR": 1.0, "USD": 0.92, "NOK": 0.086, "CZK": 0.04, "DKK": 0.134,
               "RON": 0.2}

AGENTS = ["ana", "jonas", "mette", "petr", "aino"]
GROUPS = ["billing", "tech", "logistics"]
TOPIC_GROUP = {"billing": "billing", "sales": "billing", "login": "tech", "defect": "tech",
               "warranty": "tech", "delivery": "logistics", "return": "logistics",
               "feedback": "billing"}
