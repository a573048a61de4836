"""The simulated platform's memory: flows, webhooks and scheduled work in SQLite (a file, or in memory)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import time
import uuid
from typing import Any

SCHEMA = """
create table if not exists flows (
    seq integer primary key autoincrement,
    flow_id text unique not null,
    owner text not null,
    tracking_id text,
    name text not null,
    syntax text not null,
    profile text not null,
    processing_rule text not null,
    rule_source text not null,
    flow_type text not null,
    direction text not null,
    ack_status text not null,
    ack_details text,
    submitted_at text not null,
    updated_at text not null,
    update_seq integer not null,
    sha256 text,
    original blob,
    invoice_flow_id text,
    status text,
    verdict text
);
create index if not exists flows_owner_seq on flows(owner, update_seq);
create index if not exists flows_tracking on flows(owner, tracking_id);
create table if not exists webhooks (
    id text primary key,
    owner text not null,
    callback_url text not null,
    signing_key blob not null,
    flow_types text,
    direction text,
    ack_status text,
    created_at text not null
);
create table if not exists schedule (
    id integer primary key autoincrement,
    due real not null,
    flow_id text not null,
    action text not null,
    payload text
);
create table if not exists counters (name text primary key, value integer not null);
"""


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Store:
    def __init__(self, path: str = ":memory:"):
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        if path != ":memory:":
            self.db.execute("pragma journal_mode=wal")
        self.db.executescript(SCHEMA)
        self.lock = threading.RLock()

    def close(self) -> None:
        with self.lock:
            self.db.close()

    def _next_seq(self) -> int:
        self.db.execute("insert into counters(name, value) values('update', 1) "
                        "on conflict(name) do update set value = value + 1")
        return self.db.execute("select value from counters where name='update'").fetchone()[0]

    # flows
    def flow_add(self, *, owner: str, name: str, syntax: str, profile: str, processing_rule: str, rule_source: str,
                 flow_type: str, direction: str, tracking_id: str | None, sha256: str | None, original: bytes,
                 ack_status: str = "Pending", invoice_flow_id: str | None = None, status: str | None = None) -> dict:
        flow_id = str(uuid.uuid4())
        stamp = now_iso()
        with self.lock:
            self.db.execute("begin")
            try:
                seq = self._next_seq()
                self.db.execute(
                    "insert into flows(flow_id, owner, tracking_id, name, syntax, profile, processing_rule, "
                    "rule_source, flow_type, direction, ack_status, submitted_at, updated_at, update_seq, sha256, "
                    "original, invoice_flow_id, status) values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (flow_id, owner, tracking_id, name, syntax, profile, processing_rule, rule_source, flow_type,
                     direction, ack_status, stamp, stamp, seq, sha256, original, invoice_flow_id, status))
                self.db.execute("commit")
            except BaseException:
                self.db.execute("rollback")
                raise
        return self.flow(flow_id)

    def flow(self, flow_id: str, owner: str | None = None) -> dict | None:
        with self.lock:
            if owner is None:
                row = self.db.execute("select * from flows where flow_id=?", (flow_id,)).fetchone()
            else:
                row = self.db.execute("select * from flows where flow_id=? and owner=?", (flow_id, owner)).fetchone()
        return dict(row) if row else None

    def flow_update(self, flow_id: str, **changes: Any) -> dict:
        with self.lock:
            self.db.execute("begin")
            try:
                changes["update_seq"] = self._next_seq()
                changes["updated_at"] = now_iso()
                sets = ", ".join(f"{k}=?" for k in changes)
                self.db.execute(f"update flows set {sets} where flow_id=?", (*changes.values(), flow_id))  # noqa: S608
                self.db.execute("commit")
            except BaseException:
                self.db.execute("rollback")
                raise
        return self.flow(flow_id)

    def flow_note(self, flow_id: str, **changes: Any) -> None:
        """Change the simulator's own columns (verdict, last status) without touching updatedAt."""
        sets = ", ".join(f"{k}=?" for k in changes)
        with self.lock:
            self.db.execute(f"update flows set {sets} where flow_id=?", (*changes.values(), flow_id))  # noqa: S608

    def flows(self, owner: str | None = None, **equal: Any) -> list[dict]:
        where, args = [], []
        if owner is not None:
            where.append("owner=?")
            args.append(owner)
        for k, v in equal.items():
            where.append(f"{k}=?")
            args.append(v)
        sql = "select * from flows" + (" where " + " and ".join(where) if where else "") + " order by seq"
        with self.lock:
            return [dict(r) for r in self.db.execute(sql, args).fetchall()]

    def search(self, owner: str, where: dict, *, after_seq: int, limit: int) -> tuple[list[dict], bool]:
        sql = ["select * from flows where owner=? and update_seq>?"]
        args: list[Any] = [owner, after_seq]
        if where.get("updatedAfter"):
            sql.append("and updated_at>?")
            args.append(_norm(where["updatedAfter"]))
        if where.get("updatedBefore"):
            sql.append("and updated_at<?")
            args.append(_norm(where["updatedBefore"]))
        for key, column in (("processingRule", "processing_rule"), ("flowType", "flow_type"),
                            ("flowDirection", "direction")):
            values = where.get(key)
            if values:
                sql.append(f"and {column} in ({','.join('?' * len(values))})")
                args.extend(values)
        if where.get("trackingId"):
            sql.append("and tracking_id=?")
            args.append(where["trackingId"])
        if where.get("ackStatus"):
            sql.append("and ack_status=?")
            args.append(where["ackStatus"])
        sql.append("order by update_seq limit ?")
        args.append(limit + 1)
        with self.lock:
            rows = [dict(r) for r in self.db.execute(" ".join(sql), args).fetchall()]
        return rows[:limit], len(rows) > limit

    # webhooks
    def webhook_add(self, *, owner: str, callback_url: str, signing_key: bytes, flow_types: list | None,
                    direction: str | None, ack_status: str | None) -> dict:
        hook = {"id": str(uuid.uuid4()), "owner": owner, "callback_url": callback_url, "signing_key": signing_key,
                "flow_types": json.dumps(flow_types or []), "direction": direction, "ack_status": ack_status,
                "created_at": now_iso()}
        with self.lock:
            self.db.execute("insert into webhooks values (:id, :owner, :callback_url, :signing_key, :flow_types, "
                            ":direction, :ack_status, :created_at)", hook)
        return hook

    def webhooks(self, owner: str) -> list[dict]:
        with self.lock:
            return [dict(r) for r in self.db.execute("select * from webhooks where owner=? order by created_at",
                                                     (owner,)).fetchall()]

    def webhook_delete(self, owner: str, webhook_id: str) -> bool:
        with self.lock:
            return self.db.execute("delete from webhooks where owner=? and id=?", (owner, webhook_id)).rowcount > 0

    # schedule
    def schedule(self, flow_id: str, action: str, *, delay: float, payload: dict | None = None) -> None:
        with self.lock:
            self.db.execute("insert into schedule(due, flow_id, action, payload) values (?,?,?,?)",
                            (time.time() + delay, flow_id, action, json.dumps(payload or {})))

    def due(self, limit: int = 200) -> list[dict]:
        with self.lock:
            rows = [dict(r) for r in self.db.execute("select * from schedule where due<=? order by due, id limit ?",
                                                     (time.time(), limit)).fetchall()]
            if rows:
                self.db.execute(f"delete from schedule where id in ({','.join('?' * len(rows))})",  # noqa: S608
                                [r["id"] for r in rows])
        return rows

    def pending(self) -> int:
        with self.lock:
            return self.db.execute("select count(*) from schedule").fetchone()[0]


def _norm(text: str) -> str:
    """A client's date-time, as the store writes them (UTC, milliseconds, Z) so text comparison works."""
    try:
        moment = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return str(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
