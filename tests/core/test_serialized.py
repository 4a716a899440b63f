import threading

from tui.core.serialized import SerializedRepository
from tui.core.store import TinyDBStore


def test_delegates_and_lets_one_thread_in_at_a_time(tmp_path):
    writer = TinyDBStore(tmp_path, agent="ola")  # another process, as far as the reader knows
    store = SerializedRepository(TinyDBStore(tmp_path, agent="kari"))
    errors: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        try:
            while not done.is_set():
                store.refresh()
                [doc["id"] for doc in store.ticket_docs()]
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in readers:
        thread.start()
    for n in range(60):
        writer.insert_ticket(customer="C-1", subject=f"s{n}", body="b")
    done.set()
    for thread in readers:
        thread.join()
    writer.close()
    assert not errors
    ticket = store.append_message("T-1", kind="internal_note", body="seen")
    assert store.get_ticket("T-1").rev == ticket.rev and store.data_dir == tmp_path
    store.close()
