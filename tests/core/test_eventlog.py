"""The event log's line rules (metrics-spec §B.3.4)."""

import zlib

from tui.core.eventlog import ReadStats, iter_lines


def lines(raw):
    stats = ReadStats()
    return list(iter_lines(raw, stats)), stats


def test_blank_and_non_object_lines_are_bad_lines():
    events, stats = lines(b'{"a":1}\n\n  \n[1]\n{"b":2}\n')
    assert events == [{"a": 1}, {"b": 2}]
    assert stats.bad_lines == 3


def test_crc_prefix_of_any_width_up_to_8_hex_digits():
    payload = b'{"a":1}'
    crc = zlib.crc32(payload)
    unpadded = b"%x " % crc + payload + b"\n"
    events, stats = lines(unpadded)
    assert events == [{"a": 1}] and stats.bad_lines == 0
    bad = b"%08x " % (crc ^ 1) + payload + b"\n"
    assert lines(bad)[1].bad_lines == 1


def test_a_raw_carriage_return_inside_a_line_does_not_split_it():
    events, stats = lines(b'{"a":\r1}\n')
    assert events == [{"a": 1}] and stats.bad_lines == 0


def test_torn_final_line_is_dropped_and_counted():
    events, stats = lines(b'{"a":1}\n{"b":')
    assert events == [{"a": 1}] and stats.torn_lines == 1
