#!/usr/bin/python3
"""Stands in for systemd's notify socket: binds a unix datagram socket (an '@name' address is in
the abstract namespace, as in $NOTIFY_SOCKET) and appends every datagram it receives to FILE,
one per line with its newlines shown as '\\n', flushed at once so a shell can poll the file.
Runs until killed. Usage: notify_listener.py ADDRESS FILE"""
import socket
import sys


def main() -> int:
    address, path = sys.argv[1], sys.argv[2]
    bind_to = "\0" + address[1:] if address.startswith("@") else address
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(bind_to)
    with open(path, "a", encoding="utf-8") as out:
        out.write("LISTENING\n")
        out.flush()
        while True:
            data = sock.recv(4096)
            out.write(data.decode("utf-8", "replace").replace("\n", "\\n") + "\n")
            out.flush()


if __name__ == "__main__":
    sys.exit(main())
