"""`ProxyCommand` for SkyPilot in benches/aws_launch_bench.sh: relays
stdin/stdout to HOST:PORT (no nc/socat on the machine). SkyPilot with
`use_internal_ips` and no `ssh_proxy_command` goes through AWS SSM, which
moto does not serve; this gives it a direct TCP path like stix's.

    tcp_proxy.py HOST PORT
"""

import os
import socket
import sys
import threading

s = socket.create_connection((sys.argv[1], int(sys.argv[2])))


def up():
    while data := os.read(0, 65536):
        s.sendall(data)
    s.shutdown(socket.SHUT_WR)


threading.Thread(target=up, daemon=True).start()
while data := s.recv(65536):
    os.write(1, data)
