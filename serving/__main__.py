"""`python -m serving [--host H] [--port P]`: run the API under uvicorn with RETAIL_* settings."""

from __future__ import annotations

import argparse
import logging

import uvicorn

from serving.settings import get_settings


def main(argv: list[str] | None = None) -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m serving", description=__doc__)
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # No uvicorn access log: the app logs each request once, as JSON with its request id.
    uvicorn.run("serving.app:app", host=args.host, port=args.port, workers=args.workers,
                log_level=settings.log_level.lower(), access_log=False)


if __name__ == "__main__":
    main()
