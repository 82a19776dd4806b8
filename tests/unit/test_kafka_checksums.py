"""Kafka record batches are checksummed by the crc32c package's C code, not kafka-python's pure-Python fallback.

kafka-python picks the C implementation only if `crc32c` imports, and silently falls back otherwise; the fallback
cost ~1.9 ms per 16 KB batch on the dev machine (every produce and every fetch of every worker), 11-26% of each
Kafka worker's samples in `bench/openloop.py --py-spy`. A lost or broken dependency shows here, not as a slow bench.
"""
from __future__ import annotations

from kafka.record import util


def test_kafka_python_uses_the_c_crc32c():
    assert util.crc32c_c is not None, "the crc32c package is not importable"
    assert util._crc32c is util.crc32c_c


def test_the_checksum_is_crc32c():
    # The CRC-32C (Castagnoli) check value of "123456789" (RFC 3720, appendix B.4's reference), and the pure-Python
    # fallback agrees on a batch-sized buffer.
    assert util.calc_crc32c(b"123456789") == 0xE3069283
    data = bytes(range(256)) * 64
    assert util.calc_crc32c(memoryview(data)) == util.crc32c_py(memoryview(data))
