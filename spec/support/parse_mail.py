"""Python's email package reads one message for mail_parsers.lua.

Usage: /usr/bin/python3 parse_mail.py FILE

Reads the raw message in FILE (bytes, CRLF line ends) with
email.policy.default and prints what it found as one Lua table constructor,
in the shape mail_parsers.lua describes; parse_mail.js does the same with
mailparser.

The bodies are the parts get_body() picks for ('plain',) and ('html',); the
attachments are every other leaf part, in message order: what
iter_attachments() yields, and also what it does not reach, such as the
inline images of a multipart/related inside a multipart/mixed.
"""

import datetime
import email
import email.headerregistry
import email.policy
import hashlib
import re
import sys

from server_process import lua_value

# Attachments up to this size carry their bytes; larger ones only their hash.
DATA_LIMIT = 64 * 1024

# Every field read as unstructured text, as the headers table wants it: the
# default registry would render address and date fields in its own form.
UNSTRUCTURED = email.headerregistry.HeaderRegistry(use_default_map=False)


def addresses(message, name):
    """The mailboxes of the first `name` field, groups flattened, or None
    when there is no such field."""
    field = message[name]
    if field is None:
        return None
    return [{"name": address.display_name, "address": address.addr_spec}
            for address in field.addresses]


def utc(field):
    """The instant of a Date field in UTC, to the second, as mailparser's
    Date keeps it; a zone of -0000 (none given) counts as UTC."""
    moment = field.datetime if field is not None else None
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def body(message, subtype):
    """The decoded text of the body part get_body() picks, line ends as LF
    (mailparser turns every CRLF into LF), and the part."""
    part = message.get_body(preferencelist=(subtype,))
    if part is None:
        return None, None
    return part.get_content().replace("\r\n", "\n"), part


def attachment(part):
    data = part.get_payload(decode=True)
    content_id = part["content-id"]
    if content_id is not None:
        content_id = re.sub(r"^<|>$", "", str(content_id).strip()).strip()
    return {
        "filename": part.get_filename(),
        "content_type": part.get_content_type(),
        "content_id": content_id,
        "disposition": part.get_content_disposition(),
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "data": data if len(data) <= DATA_LIMIT else None,
    }


def parse(file):
    message = email.message_from_binary_file(file, policy=email.policy.default)
    headers = {}
    for name, value in message.raw_items():
        unfolded = value.replace("\r", "").replace("\n", "")
        headers.setdefault(name.lower(), str(UNSTRUCTURED(name, unfolded)))
    text, text_part = body(message, "plain")
    html, html_part = body(message, "html")
    subject = message["subject"]
    message_id = message["message-id"]
    return {
        "subject": str(subject) if subject is not None else None,
        "from": addresses(message, "from") or [],
        "to": addresses(message, "to") or [],
        "cc": addresses(message, "cc") or [],
        "reply_to": addresses(message, "reply-to") or [],
        "sender": addresses(message, "sender"),
        "bcc_header": "bcc" in headers,
        "message_id": str(message_id) if message_id is not None else None,
        "date": utc(message["date"]),
        "text": text,
        "html": html,
        "headers": headers,
        "attachments": [
            attachment(part) for part in message.walk()
            if not part.is_multipart() and part is not text_part and part is not html_part],
    }


if __name__ == "__main__":
    with open(sys.argv[1], "rb") as raw:
        print(lua_value(parse(raw)))
