"""A short journey through a Python client that openapi-python-client generated from the
served OpenAPI document: what a partner's developer would write first.

Usage: journey.py BASE_URL DOCUMENT CLIENT_DIR EMAIL PASSWORD
(CLIENT_DIR holds the generated package `comark_client`). Exits non-zero with the reason
when a step does not answer as the document says."""

import json
import pathlib
import sys
from uuid import UUID

base_url, document, client_dir, email, password = sys.argv[1:6]
sys.path.insert(0, client_dir)

from comark_client import AuthenticatedClient, Client  # noqa: E402
from comark_client.api.auth import sign_in  # noqa: E402
from comark_client.api.connections import list_connections  # noqa: E402
from comark_client.api.partnerships import create_partnership, get_partnership  # noqa: E402
from comark_client.models import (  # noqa: E402
    NewPartnershipBody,
    PartnershipDetailOut,
    SessionOut,
    SignInIn,
)

# Every operation of the document became a module of the client.
spec = json.loads(pathlib.Path(document).read_text())
operations = {
    op["operationId"]
    for path in spec["paths"].values()
    for method, op in path.items()
    if method in ("get", "put", "post", "patch", "delete")
}
api = pathlib.Path(client_dir, "comark_client", "api")
generated = {p.stem for p in api.glob("*/*.py") if p.stem != "__init__"}
missing = sorted(operations - generated)
assert not missing, f"operations the client left out: {missing}"
print(f"{len(operations)} operations, all generated")

session = sign_in.sync(client=Client(base_url=base_url), body=SignInIn(email=email, password=password))
assert isinstance(session, SessionOut), f"sign-in answered {session!r}"
me = AuthenticatedClient(base_url=base_url, token=session.token, raise_on_unexpected_status=True)

partners, pages, cursor = [], 0, None
while True:
    page = list_connections.sync(org="acme", client=me, limit=1, **({"cursor": cursor} if cursor else {}))
    pages += 1
    assert len(page.items) <= 1, f"a page of limit 1 held {len(page.items)}"
    partners += [c.partner_handle for c in page.items]
    cursor = page.next_cursor
    if not cursor:
        break
assert sorted(partners) == ["globex", "initech"], partners
assert pages >= 2, f"two partners came in {pages} page(s) of one"
print(f"partners {sorted(partners)} in {pages} pages")

body = NewPartnershipBody(name="Joint webinar series", partners=["globex"], purpose="Co-host four webinars")
created = create_partnership.sync(org="acme", client=me, body=body)
assert isinstance(created, PartnershipDetailOut), f"create answered {created!r}"
read = get_partnership.sync(org="acme", id=UUID(str(created.partnership.id)), client=me)
assert isinstance(read, PartnershipDetailOut), f"read answered {read!r}"
assert read.partnership.name == "Joint webinar series", read.partnership.name
assert read.partnership.id == created.partnership.id
print(f"partnership {read.partnership.id} created and read back")
