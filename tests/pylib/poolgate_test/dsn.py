"""Reading delivery status notifications (RFC 3464) the way a mail client
would: Python's `email` package, nothing hand-parsed.

    parse_dsn(raw) -> [{"final-recipient": "rfc822; a@example.net",
                        "action": "failed", "status": "5.1.1", ...}, ...]
    dsn_report(raw) -> Dsn(per_message={...}, recipients=[...], text=...,
                           returned=<email.message.Message or None>)

Field names are lower case; values are strings with folding undone.
"""
import collections
import email
import email.policy

Dsn = collections.namedtuple("Dsn", "message per_message recipients text returned")


def _fields(block):
    return {name.lower(): " ".join(str(value).split()) for name, value in block.items()}


def dsn_report(raw):
    """The whole report; asserts it is multipart/report; report-type=delivery-status
    with a message/delivery-status part."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message.get_content_type() == "multipart/report", message.get_content_type()
    report_type = message.get_param("report-type")
    assert report_type == "delivery-status", f"report-type={report_type}"
    parts = list(message.iter_parts())
    status = [p for p in parts if p.get_content_type() == "message/delivery-status"]
    assert len(status) == 1, [p.get_content_type() for p in parts]
    # The email package gives message/delivery-status as a list of header blocks:
    # the per-message fields, then one block per recipient.
    blocks = status[0].get_payload()
    assert isinstance(blocks, list) and len(blocks) >= 2, blocks
    text = parts[0].get_content() if parts[0].get_content_maintype() == "text" else ""
    returned = None
    for part in parts:
        if part.get_content_type() in ("message/rfc822", "message/global"):
            returned = part.get_payload()[0]
        elif part.get_content_type() in ("text/rfc822-headers", "message/global-headers"):
            returned = email.message_from_string(part.get_content(), policy=email.policy.default)
    return Dsn(message, _fields(blocks[0]), [_fields(b) for b in blocks[1:]], text, returned)


def parse_dsn(raw):
    """The per-recipient delivery-status fields of a DSN (see dsn_report)."""
    return dsn_report(raw).recipients
