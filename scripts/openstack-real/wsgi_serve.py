"""Serves Keystone's or Placement's WSGI application on a loopback port (threaded wsgiref).

Debian ships both as WSGI applications for Apache or uWSGI; the stand-alone real cloud of
scripts/openstack-real.sh needs neither, and a threaded wsgiref server is enough for tests.
Usage: wsgi_serve.py keystone|placement PORT (configuration from the environment:
OS_KEYSTONE_CONFIG_FILES, OS_PLACEMENT_CONFIG_DIR).
"""
import socketserver
import sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - wsgiref's signature
        pass


def application(kind):
    if kind == 'keystone':
        from keystone.server.wsgi import initialize_public_application
        return initialize_public_application()
    if kind == 'placement':
        from placement.wsgi import init_application
        return init_application()
    raise SystemExit(f'unknown application {kind!r}: keystone or placement')


def main():
    kind, port = sys.argv[1], int(sys.argv[2])
    # Both read their configuration's command line from sys.argv: it holds none.
    sys.argv = [f'{kind}-wsgi']
    app = application(kind)
    make_server('127.0.0.1', port, app, server_class=ThreadingServer, handler_class=QuietHandler).serve_forever()


if __name__ == '__main__':
    main()
