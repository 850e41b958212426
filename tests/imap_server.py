"""A small IMAP4rev1 server on 127.0.0.1 (asyncio, plain TCP) holding messages in
memory: what ``imaplib`` needs to poll a mailbox — CAPABILITY, LOGIN, SELECT,
UID SEARCH UNSEEN, UID FETCH (BODY.PEEK[] / RFC822, the latter setting ``\\Seen`` as
RFC 3501 says), UID STORE +FLAGS, NOOP, LOGOUT. Every command is kept in ``log``."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

USER, PASSWORD = "bukti@example.org", "uji-sandi-imap"
ARG = re.compile(rb'"((?:[^"\\]|\\.)*)"|(\S+)')


@dataclass
class Stored:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


@dataclass
class ImapState:
    port: int = 0
    messages: list[Stored] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    def add(self, raw: bytes) -> int:
        uid = (self.messages[-1].uid if self.messages else 0) + 1
        self.messages.append(Stored(uid, raw))
        return uid

    def seen(self, uid: int) -> bool:
        return "\\Seen" in next(m for m in self.messages if m.uid == uid).flags


def _args(rest: bytes) -> list[bytes]:
    return [m.group(1) if m.group(1) is not None else m.group(2) for m in ARG.finditer(rest)]


async def _session(state: ImapState, reader: asyncio.StreamReader,
                   writer: asyncio.StreamWriter) -> None:
    def send(*lines: bytes) -> None:
        for line in lines:
            writer.write(line + b"\r\n")

    send(b"* OK [CAPABILITY IMAP4rev1] monev test IMAP ready")
    authed = selected = False
    while line := await reader.readline():
        tag, _, rest = line.rstrip(b"\r\n").partition(b" ")
        command, _, rest = rest.partition(b" ")
        cmd = command.upper().decode()
        if cmd == "UID":
            sub, _, rest = rest.partition(b" ")
            cmd = f"UID {sub.upper().decode()}"
        state.log.append(f"{cmd} {rest.decode(errors='replace')}" if cmd != "LOGIN" else cmd)
        ok = tag + b" OK " + cmd.encode() + b" completed"
        if cmd == "CAPABILITY":
            send(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN", ok)
        elif cmd == "NOOP":
            send(ok)
        elif cmd == "LOGIN":
            user, password = (a.decode() for a in _args(rest)[:2])
            authed = (user, password) == (USER, PASSWORD)
            send(ok if authed else tag + b" NO [AUTHENTICATIONFAILED] invalid credentials")
        elif cmd == "LOGOUT":
            send(b"* BYE logging out", ok)
            break
        elif not authed:
            send(tag + b" NO not authenticated")
        elif cmd in ("SELECT", "EXAMINE"):
            selected = _args(rest)[0].upper() == b"INBOX"
            send(f"* {len(state.messages)} EXISTS".encode(), b"* 0 RECENT",
                 b"* OK [UIDVALIDITY 7] UIDs valid", b"* FLAGS (\\Seen \\Deleted)",
                 tag + b" OK [READ-WRITE] SELECT completed" if selected
                 else tag + b" NO no such mailbox")
        elif not selected:
            send(tag + b" BAD no mailbox selected")
        elif cmd == "UID SEARCH" and rest.strip().upper() == b"UNSEEN":
            uids = " ".join(str(m.uid) for m in state.messages if "\\Seen" not in m.flags)
            send(f"* SEARCH {uids}".rstrip().encode(), ok)
        elif cmd == "UID FETCH":
            uid, _, what = rest.partition(b" ")
            peek = b"BODY.PEEK[]" in what.upper()
            for seq, m in enumerate(state.messages, start=1):
                if str(m.uid).encode() == uid:
                    item = b"BODY[]" if peek else b"RFC822"
                    if not peek:
                        m.flags.add("\\Seen")
                    writer.write(f"* {seq} FETCH (UID {m.uid} ".encode() + item +
                                 f" {{{len(m.raw)}}}\r\n".encode() + m.raw + b")\r\n")
            send(ok)
        elif cmd == "UID STORE":
            uid, _, rest = rest.partition(b" ")
            for seq, m in enumerate(state.messages, start=1):
                if str(m.uid).encode() == uid and b"\\SEEN" in rest.upper():
                    m.flags.add("\\Seen")
                    send(f"* {seq} FETCH (UID {m.uid} FLAGS (\\Seen))".encode())
            send(ok)
        else:
            send(tag + b" BAD unknown command")
        await writer.drain()
    writer.close()


@contextmanager
def imap_server() -> Iterator[ImapState]:
    """The server running in its own thread; yields its state (port, messages, log)."""
    state = ImapState()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: list[asyncio.Server] = []

    async def main() -> None:
        server = await asyncio.start_server(
            lambda r, w: _session(state, r, w), "127.0.0.1", 0)
        state.port = server.sockets[0].getsockname()[1]
        holder.append(server)
        started.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(main(), loop).result(10)
    started.wait(10)
    try:
        yield state
    finally:
        holder[0].close()
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
