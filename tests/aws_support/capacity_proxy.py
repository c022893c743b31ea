"""An HTTP proxy in front of moto that refuses EC2 capacity in chosen zones.

Every request is forwarded to moto unchanged, except RunInstances into a
subnet whose availability zone is refused: that one is answered the way EC2
answers it (HTTP 500, `InsufficientInstanceCapacity`). Tests steer it with:

    POST /__stix/refuse   body: "us-east-1a,us-east-1b" (empty: refuse none)
    GET  /__stix/refused  -> the zones refused so far, one per line

Usage: python capacity_proxy.py <listen-port> <moto-url>
Prints "ready <port>" on stdout once it listens (port 0 picks a free one).
"""
import http.server
import re
import socketserver
import sys
import urllib.parse
import urllib.request

MOTO = sys.argv[2].rstrip('/')
REFUSE = set()
REFUSED = []

ERROR = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
         '<Code>InsufficientInstanceCapacity</Code><Message>We currently do '
         'not have sufficient {itype} capacity in the Availability Zone you '
         'requested ({zone}). Our system will be working on provisioning '
         'additional capacity.</Message></Error></Errors>'
         '<RequestID>stix-capacity-proxy</RequestID></Response>')


def subnet_zone(subnet_id):
    body = urllib.parse.urlencode({
        'Action': 'DescribeSubnets',
        'Version': '2016-11-15',
        'SubnetId.1': subnet_id,
    }).encode()
    req = urllib.request.Request(MOTO + '/', data=body, headers={
        'Content-Type': 'application/x-www-form-urlencoded',
        # moto routes by the signed service name; the signature is unchecked.
        'Authorization': 'AWS4-HMAC-SHA256 Credential=testing/20250101/'
                         'us-east-1/ec2/aws4_request, SignedHeaders=host, '
                         'Signature=0',
    })
    with urllib.request.urlopen(req) as resp:
        text = resp.read().decode()
    m = re.search(r'<availabilityZone>([^<]+)</availabilityZone>', text)
    return m.group(1) if m else None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def _reply(self, code, body, ctype='text/xml'):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _forward(self, method, body):
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ('host', 'content-length', 'connection')}
        req = urllib.request.Request(MOTO + self.path, data=body,
                                     headers=headers, method=method)
        try:
            with urllib.request.urlopen(req) as resp:
                code, data = resp.status, resp.read()
                ctype = resp.headers.get('Content-Type', 'text/xml')
        except urllib.error.HTTPError as e:
            code, data = e.code, e.read()
            ctype = e.headers.get('Content-Type', 'text/xml')
        self._reply(code, data, ctype)

    def do_GET(self):
        if self.path == '/__stix/refused':
            self._reply(200, ''.join(z + '\n' for z in REFUSED), 'text/plain')
            return
        self._forward('GET', None)

    def do_POST(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        if self.path == '/__stix/refuse':
            REFUSE.clear()
            REFUSE.update(z for z in body.decode().split(',') if z.strip())
            REFUSED.clear()
            self._reply(200, 'ok', 'text/plain')
            return
        form = urllib.parse.parse_qs(body.decode(errors='replace'))
        if form.get('Action') == ['RunInstances'] and REFUSE:
            subnet = (form.get('NetworkInterface.1.SubnetId') or
                      form.get('SubnetId') or [None])[0]
            zone = subnet_zone(subnet) if subnet else None
            if zone in REFUSE:
                REFUSED.append(zone)
                itype = (form.get('InstanceType') or ['?'])[0]
                self._reply(500, ERROR.format(itype=itype, zone=zone))
                return
        self._forward('POST', body)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    server = Server(('127.0.0.1', int(sys.argv[1])), Handler)
    print(f'ready {server.server_address[1]}', flush=True)
    server.serve_forever()


if __name__ == '__main__':
    main()
