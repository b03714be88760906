"""The terminal commands: run a diagnosis, print it, and turn errors into one sentence."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from bot.cli import exits
from bot.cli.exits import Exit
from bot.cli.okta import okta_client, okta_for
from bot.config import Settings
from bot.terminal import render_audit_line, render_text
from checks.diagnose import diagnose
from checks.errors import AttrsyncError, UsageError
from checks.facts import Facts
from checks.json_shapes import audit_json, rendered, report_json


def run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    _configure_logging(debug=env.get("ATTRSYNC_DEBUG", "") not in ("", "0", "false"))
    try:
        if args.command == "why":
            return asyncio.run(_why(args, env))
        if args.command == "scan":
            from bot.cli.scan import scan

            return asyncio.run(scan(args, env, color=_color(env)))
        if args.command in ("serve", "socket", "worker", "watch"):
            return asyncio.run(_bot(args, env))
        if args.command == "audit":
            return asyncio.run(_audit(args, env))
        if args.command == "demo":
            from bot.demo.walkthrough import walk

            return asyncio.run(walk(color=_color(env)))
    except UsageError as exc:
        return _fail(str(exc), Exit.USAGE)
    except AttrsyncError as exc:  # Okta unreachable, token rejected, …
        return _fail(str(exc), Exit.INCOMPLETE)
    except KeyboardInterrupt:
        return _fail("Interrupted.", Exit.INCOMPLETE)
    except Exception:  # a bug must still end in one sentence; the traceback is for debugging
        logging.getLogger(__name__).debug("internal error", exc_info=True)
        return _fail(
            "attrsync hit an internal error (run with ATTRSYNC_DEBUG=1 to see it).", Exit.INCOMPLETE
        )
    raise AssertionError(f"unknown command {args.command}")


async def _why(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    settings = Settings.load(env)
    async with okta_client(args.demo, settings, env) as okta:
        facts = Facts(okta, args.user, args.app, args.attribute, now=datetime.now(UTC))
        report = await diagnose(facts)
    print(rendered(report_json(report)) if args.json else render_text(report, color=_color(env)))
    return exits.of_report(report)


async def _bot(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from bot.runtime.processes import run_bot  # only the bot needs Bolt

    settings = Settings.load(env)
    settings.require_slack(socket_mode=args.command == "socket")
    mode = {"serve": "http", "socket": "socket", "worker": "worker", "watch": "watch"}[args.command]
    worker = not getattr(args, "no_worker", False)
    replay = timedelta(hours=getattr(args, "replay", 0.0))
    async with okta_for(args.demo, settings) as okta_settings:
        return await run_bot(settings, okta_settings, mode=mode, worker=worker, replay=replay)


async def _audit(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    from bot.store.audit import AuditTrail

    settings = Settings.load(env)
    redis = Redis.from_url(settings.redis_url, socket_connect_timeout=2)
    try:
        entries = await AuditTrail(redis, settings.redis_prefix).read(max(1, args.count))
    except RedisError as exc:
        raise UsageError(f"Redis at REDIS_URL cannot be read ({type(exc).__name__}).") from None
    finally:
        await redis.aclose()
    for entry in entries:
        print(json.dumps(audit_json(entry)) if args.json else render_audit_line(entry))
    return Exit.OK


def _color(env: Mapping[str, str]) -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in env and env.get("TERM") != "dumb"


def _configure_logging(*, debug: bool) -> None:
    """Warnings as one line on stderr; tracebacks only when debugging."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine("attrsync: %(message)s") if not debug else logging.Formatter())
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, handlers=[handler])


class _OneLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        record.exc_info, record.exc_text = None, None
        return super().format(record)


def _fail(sentence: str, code: int) -> int:
    print(f"attrsync: {sentence}", file=sys.stderr)
    return code
