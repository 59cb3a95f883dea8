#!/usr/bin/python3
"""A real, independent SMTP server for the delivery client's tests: Debian's
aiosmtpd, answering per recipient as peer_rules says and recording what it
received. Run with /usr/bin/python3 (python3-aiosmtpd) inside the test's
network namespace; killed by the test.

aiosmtpd knows neither PIPELINING nor DSN; --pipelining and --dsn announce
them (its line-by-line reader copes with pipelined input), and --dsn makes it
accept RET/ENVID/NOTIFY/ORCPT, which are recorded as sent.
"""
import argparse
import asyncio
import ssl

from aiosmtpd.smtp import SMTP
import peer_rules

DSN_PARAMS = ("RET", "ENVID", "NOTIFY", "ORCPT")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--port", type=int, default=25)
    ap.add_argument("--record", required=True)
    ap.add_argument("--ready", required=True)
    ap.add_argument("--pipelining", action="store_true")
    ap.add_argument("--dsn", action="store_true")
    ap.add_argument("--smtputf8", action="store_true")
    ap.add_argument("--size", type=int, default=33554432, help="0: no SIZE")
    ap.add_argument("--slow", type=float, default=0)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    args = ap.parse_args()
    recorder = peer_rules.Recorder(args.record)

    class Handler:
        async def handle_EHLO(self, server, session, envelope, hostname, responses):
            session.host_name = hostname
            extra = ["250-ENHANCEDSTATUSCODES"]
            if args.pipelining:
                extra.append("250-PIPELINING")
            if args.dsn:
                extra.append("250-DSN")
            return responses[:-1] + extra + responses[-1:]

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            slow, reply = peer_rules.rcpt_rule(address)
            if slow:
                await asyncio.sleep(args.slow)
            if reply.startswith("250"):
                envelope.rcpt_tos.append(address)
                envelope.rcpt_options.append(rcpt_options)
            return reply

        async def handle_DATA(self, server, session, envelope):
            slow, reply = peer_rules.data_rule(envelope.mail_from)
            server.pg_record["messages"].append({
                "mail_from": envelope.mail_from,
                "mail_options": envelope.mail_options,
                "rcpt_tos": envelope.rcpt_tos,
                "rcpt_options": envelope.rcpt_options,
                "data_hex": envelope.original_content.hex(),
                "smtp_utf8": envelope.smtp_utf8,
                "tls": session.ssl is not None,
            })
            recorder.flush()
            if slow:
                await asyncio.sleep(args.slow)
            return reply

    class RecordingSMTP(SMTP):
        pg_record = None

        def connection_made(self, transport):
            # Called again when STARTTLS completes, on the TLS transport.
            if self.pg_record is None:
                peer = transport.get_extra_info("peername")
                self.pg_record = recorder.connection(peer[0] if peer else "?")
            else:
                self.pg_record["tls"] = True
                recorder.flush()
            super().connection_made(transport)

        def _getparams(self, params):
            # DSN parameters pass as if known; the raw options keep them for the record.
            result = super()._getparams(params)
            if result is not None and args.dsn:
                for key in DSN_PARAMS:
                    result.pop(key, None)
            return result

    tls = None
    if args.tls_cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
    handler = Handler()

    def factory():
        return RecordingSMTP(handler, hostname="aiosmtpd.test", decode_data=False,
                             enable_SMTPUTF8=args.smtputf8,
                             data_size_limit=args.size or None, tls_context=tls,
                             require_starttls=False)

    async def serve():
        server = await asyncio.get_running_loop().create_server(factory, args.listen, args.port)
        peer_rules.announce_ready(args.ready)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
