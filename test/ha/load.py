#!/usr/bin/env python3
"""load.py: the clients of `test/ha/run`, and its checks of
what they were told. Every answer is recorded, one JSON line each:
  {"w": writer, "op": "create"|"update"|"read"|"login", "t0": start, "t1": end
   (epoch seconds), "st": HTTP status (0: no answer), "id": note, "c": content,
   "tries": sendings, "replayed": Idempotent-Replayed}

  load.py users BASE N PREFIX               register N users (PREFIX0..), print nothing
  load.py run BASE OUT MODE N PREFIX SECS   N clients until SECS pass or the file
                                            OUT.stop appears; MODE writes (create,
                                            then update with If-Match) or mixed
                                            (also reads and logins). Each sends
                                            what README's "Nothing lost, nothing
                                            doubled" asks: a create with an
                                            Idempotency-Key (1.3), sent again with
                                            it when no answer or a 409/502/503/504
                                            came; an update with If-Match, a 412
                                            showing its own change taken as done;
                                            a record per operation, with its
                                            sendings ("tries")
  load.py report OUT [T]                    counts, failures, longest request,
                                            p99 and creates/s; with T (epoch) the
                                            seconds from T to the first write sent
                                            after T and acknowledged
  load.py verify BASE OUT PREFIX N          every acknowledged create and update is
                                            there with its content (read back
                                            through BASE); exit 1 otherwise
  load.py verify-dump DUMP OUT...            the same against DUMP, {note id: content}
                                            as JSON (a restored database's notes)
  load.py roles OUT SECS URL...             every 0.25 s, each Patroni member's role
                                            (GET URL/patroni) until OUT.stop or SECS
  load.py roles-check OUT                   at no sample two members were primary
  load.py partition OUT ROLES URL T TTL     URL's member cut off at T (epoch): from
                                            ROLES, when it stopped being primary
                                            (within TTL s) and when another became
                                            primary (after that); from OUT, that no
                                            write sent after the first was
                                            acknowledged before the second

Bounded: every request has a 35 s timeout, every loop a deadline. Standard
library only (python3 on the host, and in the member image for `roles`)."""
import json, os, sys, threading, time, uuid, http.client, urllib.parse, urllib.request

# above the shim's FINOTE_DB_WAIT_MS (25 s) and nginx's 30 s read timeout
TIMEOUT = 35
PASSWORD = "ha-test-password-1"


def request(base, method, path, token=None, body=None, headers=None):
    """(status, headers dict, parsed JSON or None, t0, t1); status 0: no answer."""
    u = urllib.parse.urlsplit(base)
    h = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        h["Authorization"] = "Bearer " + token
    h.update(headers or {})
    t0 = time.time()
    try:
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=TIMEOUT)
        c.request(method, path, None if body is None else json.dumps(body), h)
        r = c.getresponse()
        data = r.read()
        c.close()
        try:
            doc = json.loads(data) if data else None
        except ValueError:
            doc = None
        return r.status, {k.lower(): v for k, v in r.getheaders()}, doc, t0, time.time()
    except (OSError, http.client.HTTPException):
        return 0, {}, None, t0, time.time()


def login(base, user):
    st, _, doc, t0, t1, _ = again(lambda: request(base, "POST", "/api/auth/login",
                                                  body={"username": user, "password": PASSWORD}))
    return (doc or {}).get("token") if st == 200 else None, st, t0, t1


def cmd_users(base, n, prefix):
    for i in range(int(n)):
        st = 0
        for _ in range(20):
            st = request(base, "POST", "/api/auth/register", body={"username": f"{prefix}{i}", "password": PASSWORD})[0]
            if st in (201, 409):
                break
            time.sleep(0.5)
        if st not in (201, 409):
            sys.exit(f"load.py: register {prefix}{i}: status {st}")


# Answers a well-behaved client sends again (README, "Nothing lost, nothing
# doubled"): no answer, the proxy's or the shim's 502/503/504, a 409 of a key
# whose first request still runs. At most TRIES sendings, Retry-After heeded
# (up to 5 s).
AGAIN = (0, 409, 502, 503, 504)
TRIES = 6


def again(send):
    """send() until its answer is not one to send again, or TRIES: the last
    sending's answer and times (what the partition and failover checks
    time), and the number of sendings."""
    for n in range(1, TRIES + 1):
        st, h, doc, t0, t1 = send()
        if st not in AGAIN or n == TRIES:
            return st, h, doc, t0, t1, n
        try:
            wait = min(5.0, float(h.get("retry-after", "0.5")))
        except ValueError:
            wait = 0.5
        time.sleep(max(0.2, wait))


def client(base, out, lock, mode, w, user, deadline, stopfile, run, keyed):
    def rec(op, st, t0, t1, nid=None, content=None, tries=1, replayed=False):
        with lock:
            out.write(json.dumps({"w": w, "op": op, "t0": round(t0, 3), "t1": round(t1, 3), "st": st, "id": nid,
                                  "c": content, "tries": tries, "replayed": replayed}) + "\n")
            out.flush()
    token = None
    k = 0
    while time.time() < deadline and not os.path.exists(stopfile) and k < 100000:
        k += 1
        if token is None or (mode == "mixed" and k % 20 == 0):
            tok, st, t0, t1 = login(base, user)
            rec("login", st, t0, t1)
            token = tok or token
            if token is None:
                time.sleep(0.2)
                continue
        if mode == "mixed" and k % 3 == 0:
            st, _, _, t0, t1, n = again(lambda: request(base, "GET", "/api/notes?limit=20", token))
            rec("read", st, t0, t1, tries=n)
            continue
        content = f"{user} note {k} at {time.time():.3f}"
        key = {"Idempotency-Key": str(uuid.uuid4())}
        body = {"title": f"{user}-{run}-{k}", "content": content}
        # a create is sent again only with a key the server keeps (1.3): without, a lost answer may hide a note
        send = lambda: request(base, "POST", "/api/notes", token, body, key)
        st, h, doc, t0, t1, n = again(send) if keyed else send() + (1,)
        nid = ((doc or {}).get("note") or {}).get("id") if st == 201 else None
        rec("create", st, t0, t1, nid, content, n, h.get("idempotent-replayed") == "true")
        if nid is None or "etag" not in h:
            continue
        content2 = content + " updated"
        st, _, doc, t0, t1, n = again(lambda: request(base, "PATCH", f"/api/notes/{nid}", token, {"content": content2},
                                                      {"If-Match": h["etag"]}))
        # a repeat of a change that went through: 412 with the note as changed
        if st == 412 and n > 1 and ((doc or {}).get("note") or {}).get("content") == content2:
            st = 200
        rec("update", st, t0, t1, nid, content2, n)


def cmd_run(base, outfile, mode, n, prefix, secs):
    deadline = time.time() + float(secs)
    lock = threading.Lock()
    run = os.path.basename(outfile).split(".")[0]
    # OPTIONS /api/import answers 204 from 1.3 on, which keeps Idempotency-Keys
    keyed = request(base, "OPTIONS", "/api/import")[0] == 204
    with open(outfile, "a") as out:
        ts = [threading.Thread(target=client, args=(base, out, lock, mode, i, f"{prefix}{i}", deadline, outfile + ".stop",
                                                    run, keyed))
              for i in range(int(n))]
        for t in ts:
            t.start()
        for t in ts:
            t.join()


def records(outfile):
    with open(outfile) as f:
        return [json.loads(l) for l in f if l.strip()]


def ok(r):
    return 200 <= r["st"] < 300


def cmd_report(outfile, t=None):
    rs = records(outfile)
    if not rs:
        sys.exit("load.py: no requests recorded")
    failed = [r for r in rs if not ok(r)]
    lat = sorted(r["t1"] - r["t0"] for r in rs)
    longest = max(rs, key=lambda r: r["t1"] - r["t0"])
    creates = [r for r in rs if r["op"] == "create" and ok(r)]
    span = max(r["t1"] for r in rs) - min(r["t0"] for r in rs)
    clat = sorted(r["t1"] - r["t0"] for r in creates) or [0]
    by = {}
    for r in failed:
        by[f'{r["op"]} {r["st"]}'] = by.get(f'{r["op"]} {r["st"]}', 0) + 1
    print(f"requests {len(rs)} failed {len(failed)} {json.dumps(by, sort_keys=True)} "
          f"longest {longest['t1'] - longest['t0']:.2f}s ({longest['op']} {longest['st']}) "
          f"p99 {lat[int(0.99 * (len(lat) - 1))] * 1000:.0f}ms "
          f"creates/s {len(creates) / span if span else 0:.1f} create-p99 {clat[int(0.99 * (len(clat) - 1))] * 1000:.0f}ms "
          f"sent-again {sum(1 for r in rs if r.get('tries', 1) > 1)} replayed {sum(1 for r in rs if r.get('replayed'))}")
    if t:
        t = float(t)
        after = [r["t1"] for r in rs if r["op"] in ("create", "update") and ok(r) and r["t0"] > t]
        print(f"first acknowledged write {min(after) - t:.1f}s after" if after else "first acknowledged write: none after")


def acknowledged(outfiles, prefix):
    """{note id: {"user", "acked": content of its last acknowledged write,
    "maybe": contents of attempts after it whose answers were lost (they may
    have committed)}} over the records of OUTFILES; and the count of
    acknowledged writes."""
    rs = sorted((r for f in outfiles for r in records(f)), key=lambda r: r["t0"])
    notes = {}
    for r in rs:
        if r["op"] in ("create", "update") and r["id"]:
            e = notes.setdefault(str(r["id"]), {"user": f'{prefix}{r["w"]}', "acked": None, "maybe": set()})
            if ok(r):
                e["acked"], e["maybe"] = r["c"], set()
            else:
                e["maybe"].add(r["c"])
    return ({nid: e for nid, e in notes.items() if e["acked"] is not None},
            sum(1 for r in rs if r["op"] in ("create", "update") and ok(r)))


def verdict(acked, checked, missing):
    print(f"acknowledged writes {acked}, notes checked {checked}, missing or wrong {len(missing)}")
    for m in missing[:10]:
        print("  " + m)
    sys.exit(1 if missing else 0)


def cmd_verify(base, outfile, prefix, n):
    """Each note's content now must be its last acknowledged write's, or that of
    an attempt after it whose answer was lost (it may have committed)."""
    notes, acked = acknowledged([outfile], prefix)
    tokens, missing = {}, []
    for nid, e in notes.items():
        if e["user"] not in tokens:
            tokens[e["user"]] = login(base, e["user"])[0]
        st = 0
        for _ in range(10):
            st, _, doc, _, _ = request(base, "GET", f"/api/notes/{nid}", tokens[e["user"]])
            if st in (200, 404):
                break
            time.sleep(0.5)
        content = ((doc or {}).get("note") or {}).get("content") if st == 200 else None
        if content != e["acked"] and content not in e["maybe"]:
            missing.append(f"{nid}: expected {e['acked']!r}, found {content!r} (status {st})")
    verdict(acked, len(notes), missing)


def cmd_verify_dump(dump, *outfiles):
    """The same check against DUMP, a JSON object {note id: content} (a
    restored database's finote.notes), for the writes of OUTFILES."""
    with open(dump) as f:
        rows = json.load(f) or {}
    notes, acked = acknowledged(outfiles, "")
    missing = [f"{nid}: expected {e['acked']!r}, found {rows.get(nid)!r}"
               for nid, e in notes.items() if rows.get(nid) != e["acked"] and rows.get(nid) not in e["maybe"]]
    verdict(acked, len(notes), missing)


def cmd_roles(outfile, secs, *urls):
    deadline = time.time() + float(secs)
    with open(outfile, "a") as out:
        while time.time() < deadline and not os.path.exists(outfile + ".stop"):
            t = time.time()
            roles = {}
            for u in urls:
                try:
                    with urllib.request.urlopen(u + "/patroni", timeout=1) as r:
                        d = json.load(r)
                        roles[u] = f'{d.get("role")}/{d.get("state")}'
                except Exception as e:  # a member down or cut off: no role
                    roles[u] = "unreachable"
            out.write(json.dumps({"t": round(t, 3), "roles": roles}) + "\n")
            out.flush()
            time.sleep(max(0, 0.25 - (time.time() - t)))


def cmd_roles_check(outfile):
    rs = records(outfile)
    two = [r for r in rs if sum(v == "primary/running" for v in r["roles"].values()) > 1]
    print(f"role samples {len(rs)}, with two running primaries {len(two)}")
    for r in two[:5]:
        print("  ", json.dumps(r))
    sys.exit(1 if two or not rs else 0)


def cmd_partition(outfile, rolesfile, url, t, ttl):
    """The old leader's writes end when it demotes; the new one's start when it
    is promoted; a write sent in between and acknowledged before the promotion
    could only have been taken by a primary that should not be one."""
    t, ttl = float(t), float(ttl)
    samples = [r for r in records(rolesfile) if r["t"] >= t]
    demoted = next((r["t"] for r in samples if r["roles"].get(url) != "primary/running"), None)
    promoted = next((r["t"] for r in samples
                     if any(v == "primary/running" for u, v in r["roles"].items() if u != url)), None)
    if demoted is None or promoted is None:
        sys.exit(f"load.py: no demotion ({demoted}) or no promotion ({promoted}) sampled after the cut")
    writes = [r for r in records(outfile) if r["op"] in ("create", "update") and ok(r) and r["t1"] >= t]
    before = sum(1 for r in writes if r["t0"] < demoted)
    # one sampling period (0.25 s) of slack on either side
    between = [r for r in writes if r["t0"] > demoted + 0.25 and r["t1"] < promoted - 0.25]
    after = sum(1 for r in writes if r["t1"] >= promoted)
    print(f"cut-off leader demoted {demoted - t:.1f}s after the cut, another promoted {promoted - t:.1f}s after; "
          f"acknowledged writes: sent before the demotion {before}, sent after it and acknowledged before the "
          f"promotion {len(between)}, acknowledged after the promotion {after}")
    bad = []
    if demoted - t > ttl:
        bad.append(f"demoted after the ttl ({ttl:.0f}s)")
    if promoted < demoted:
        bad.append("another member was primary before the cut-off one demoted")
    if between:
        bad.append(f"{len(between)} writes acknowledged while no member should have been primary")
    for b in bad:
        print("  " + b)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    cmds = {"users": cmd_users, "run": cmd_run, "report": cmd_report, "verify": cmd_verify,
            "roles": cmd_roles, "roles-check": cmd_roles_check, "partition": cmd_partition,
            "verify-dump": cmd_verify_dump}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])
