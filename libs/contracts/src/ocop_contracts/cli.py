"""`ocop-contracts export [--check]`: write (or verify) the checked-in JSON Schemas."""

import argparse
import sys

from ocop_contracts.schema import SCHEMA_DIR, event_schemas, render


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ocop-contracts", description=__doc__)
    parser.add_argument("command", choices=["export"])
    parser.add_argument("--check", action="store_true", help="fail if files differ; write nothing")
    args = parser.parse_args(argv)
    stale = []
    SCHEMA_DIR.mkdir(parents=True, exist_ok=True)
    for name, schema in event_schemas().items():
        path = SCHEMA_DIR / name
        text = render(schema)
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(name)
        if not args.check:
            path.write_text(text, encoding="utf-8")
    if args.check and stale:
        print(
            f"stale JSON Schemas: {', '.join(stale)}; run `ocop-contracts export`", file=sys.stderr
        )
        return 1
    print(
        f"{len(event_schemas())} schemas {'checked' if args.check else 'written'} in {SCHEMA_DIR}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
