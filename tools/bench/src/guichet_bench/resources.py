"""Memory and CPU of the services' processes, read from /proc (Linux), and the databases' size."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import asyncpg

_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcessSample:
    rss_mb: float
    peak_rss_mb: float  # the kernel's high-water mark since the process started
    cpu_s: float  # user + system


def sample_process(pid: int) -> ProcessSample | None:
    """None when the process is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            fields = dict(line.split(":", 1) for line in status if ":" in line)
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            # The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
            after_name = stat.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return None
    utime, stime = int(after_name[11]), int(after_name[12])
    return ProcessSample(
        rss_mb=_kib(fields["VmRSS"]) / 1024,
        peak_rss_mb=_kib(fields["VmHWM"]) / 1024,
        cpu_s=(utime + stime) / _TICKS_PER_S,
    )


def sample_all(pids: Mapping[str, int]) -> dict[str, ProcessSample]:
    samples = {name: sample_process(pid) for name, pid in pids.items()}
    return {name: sample for name, sample in samples.items() if sample is not None}


def cpu_by_program() -> dict[str, float]:
    """CPU seconds used so far by every process on the machine, summed by program (java, postgres, python...):
    a delta of two of these says where the machine's CPU went, services, broker and database alike."""
    totals: dict[str, float] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as stat:
                text = stat.read()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        if name.startswith("python"):
            name = _python_module(entry.name) or name
        after_name = text.rsplit(")", 1)[1].split()
        totals[name] = totals.get(name, 0.0) + (int(after_name[11]) + int(after_name[12])) / _TICKS_PER_S
    return totals


async def database_bytes(database_urls: Mapping[str, str]) -> dict[str, int]:
    """Each service database's size on disk (tables, indexes, TOAST)."""
    sizes: dict[str, int] = {}
    for name, url in database_urls.items():
        conn = await asyncpg.connect(url)
        try:
            sizes[name] = await conn.fetchval("SELECT pg_database_size(current_database())")
        finally:
            await conn.close()
    return sizes


async def count_rows(database_url: str, table: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetchval(f"SELECT count(*) FROM {table}")
    finally:
        await conn.close()


def _python_module(pid: str) -> str | None:
    """`guichet_intake` for `python -m guichet_intake`: tells the services, the sink and the bench apart."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            arguments = cmdline.read().split(b"\0")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    if b"-m" in arguments[:-1]:
        return arguments[arguments.index(b"-m") + 1].decode(errors="replace")
    return None


def _kib(value: str) -> int:
    return int(value.split()[0])
