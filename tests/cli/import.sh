#!/bin/bash
# mailacct import: each format with data made up here, fresh every run (a
# random seed, printed): names with quotes, commas, non-ASCII letters,
# schemes of every kind. Checks that what was imported resolves, that the
# passwords carried over or hashed log in through the real PAM module, that
# a second import changes nothing, that --dry-run writes nothing, that
# --update changes exactly what differs, that an existing configuration
# keeps its comments and layout, and that an import that would break the
# configuration changes nothing.
set -u
: "${BUILD:?BUILD not set (run through make check)}"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
M=$BUILD/mailacct
T=$(mktemp -d /tmp/mailacct-import.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
chmod 0755 "$T"
SEED=${IMPORT_SEED:-$RANDOM$RANDOM}
echo "import: seed $SEED (IMPORT_SEED=$SEED reproduces it)"
checks=0 fails=0
check() {
        checks=$((checks + 1))
        if ! eval "$2"; then
                fails=$((fails + 1))
                echo "FAIL: $1"
        fi
}

# the data: per format a source file, and what must come of it (one line a
# mailbox: address, the logins that must resolve to it, its password or "-")
python3 -W ignore::DeprecationWarning - "$T" "$SEED" <<'PY'
import base64, crypt, json, os, random, sys
out, seed = sys.argv[1], int(sys.argv[2])
rnd = random.Random(seed)
FIRST = ["anna", "björn", "chloé", "dmitri", "eve", "fátima", "gus", "hana", "igor", "jürgen", "kai", "li", "mo"]
LAST = ["o'brien", "smith", "müller", "nguyen", "garcía", "kowalski", "ito", "dubois", "rossi"]

def person(i, dom):
    f, l = rnd.choice(FIRST), rnd.choice(LAST)
    local = "%s.%s%d" % (f, l.replace("'", ""), i)
    return {"local": local, "address": "%s@%s" % (local, dom), "name": '%s "%s" %s, Jr.' % (f.title(), f[:2], l.title()),
            "uid": 20000 + i, "gid": 20000, "pw": "pw-%d-%s" % (i, rnd.choice(["a:b", "c d", "e,f", "g#h", "i\\j"]))}

def sha512(pw):
    return crypt.crypt(pw, crypt.mksalt(crypt.METHOD_SHA512))

expect = {}
# dovecot-passwd: schemes of each kind, bare names completed by --domain
dom = "dv%d.test" % rnd.randrange(1000)
lines, exp = ["# made up by tests/cli/import.sh"], []
for i in range(40):
    p = person(i, dom)
    kind = i % 4
    user = p["local"] if i % 5 == 0 else p["address"]
    if kind == 0:
        pw, login_pw = "{SHA512-CRYPT}" + sha512(p["pw"]), p["pw"]
    elif kind == 1:
        pw, login_pw = "{PLAIN}" + p["pw"].replace(":", "_"), p["pw"].replace(":", "_")
    elif kind == 2:
        pw, login_pw = sha512(p["pw"]), p["pw"]  # no scheme: CRYPT
    else:
        pw, login_pw = "{SSHA}" + base64.b64encode(os.urandom(24)).decode(), "-"
    lines.append("%s:%s:%d:%d:%s:/srv/vmail/%s/%s::" % (user, pw, p["uid"], p["gid"], p["name"].replace(":", ""),
                                                           dom, p["local"]))
    exp.append({"address": p["address"], "logins": [p["address"]], "pw": login_pw,
                "name": p["name"].replace(":", ""), "uid": p["uid"]})
open(out + "/users.dovecot", "w").write("\n".join(lines) + "\n")
expect["dovecot"] = {"domain": dom, "mailboxes": exp, "other_schemes": 10}

# csv: quoting, lists, a byte order mark, CRLF
dom = "csv%d.test" % rnd.randrange(1000)
rows, exp = ['\ufeffaddress,aliases,name,uid,gid,password_hash,services,enabled'], []
for i in range(30):
    p = person(100 + i, dom)
    alias = "al%d" % (100 + i)
    q = lambda s: '"' + s.replace('"', '""') + '"'
    rows.append(",".join([p["address"], q(alias + ";" + p["local"]), q(p["name"]), str(p["uid"]), str(p["gid"]),
                          sha512(p["pw"]), "imap pop3", "true"]))
    exp.append({"address": p["address"], "logins": [p["address"], alias, p["local"]], "pw": p["pw"],
                "name": p["name"], "uid": p["uid"]})
open(out + "/users.csv", "w", newline="").write("\r\n".join(rows) + "\r\n")
expect["csv"] = {"domain": dom, "mailboxes": exp, "other_schemes": 0}

# passwd + shadow: system accounts skipped, a locked one disabled
dom = "pw%d.test" % rnd.randrange(1000)
pw_lines = ["root:x:0:0:root:/root:/bin/bash", "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
            "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin"]
sh_lines = ["root:*:19000:0:99999:7:::", "daemon:*:19000:0:99999:7:::"]
exp = []
for i in range(20):
    name = "user%d%s" % (i, rnd.choice(["", "x", "y"]))
    pw = "unix-%d" % rnd.randrange(10**6)
    uid = 3000 + i
    locked = i == 7
    pw_lines.append("%s:x:%d:%d:Person %d,,,:/home/%s:/bin/bash" % (name, uid, uid, i, name))
    sh_lines.append("%s:%s%s:19000:0:99999:7:::" % (name, "!" if locked else "", sha512(pw)))
    exp.append({"address": "%s@%s" % (name, dom), "logins": ["%s@%s" % (name, dom)], "pw": "-" if locked else pw,
                "name": "Person %d" % i, "uid": uid, "disabled": locked})
open(out + "/data.passwd", "w").write("\n".join(pw_lines) + "\n")
open(out + "/data.shadow", "w").write("\n".join(sh_lines) + "\n")
expect["passwd"] = {"domain": dom, "mailboxes": exp, "other_schemes": 0, "skipped": 3}

# ldif: folded lines, base64 values, {CRYPT}, clear text, an OU, AD-style proxyAddresses
dom = "ld%d.test" % rnd.randrange(1000)
recs, exp = ["version: 1", "", "dn: ou=people,dc=ex,dc=test", "objectClass: organizationalUnit", "ou: people"], []
for i in range(20):
    p = person(200 + i, dom)
    recs.append("")
    recs.append("dn: uid=%s,ou=people,dc=ex,dc=test" % p["local"])
    recs.append("displayName:: " + base64.b64encode(p["name"].encode()).decode())
    if i % 2:
        recs.append("mail: " + p["address"])
        recs.append("uid: u%d" % (200 + i))
    else:
        recs.append("proxyAddresses: SMTP:" + p["address"])
        recs.append("proxyAddresses: smtp:second%d@%s" % (i, dom))
        recs.append("sAMAccountName: u%d" % (200 + i))
    recs.append("uidNumber: %d" % p["uid"])
    recs.append("gidNumber: %d" % p["gid"])
    h = sha512(p["pw"])
    if i % 3 == 0:
        recs.append("userPassword: " + p["pw"])  # clear text
    else:
        line = "userPassword: {CRYPT}" + h
        recs.append(line[:40])
        recs.append(" " + line[40:])  # folded
    logins = [p["address"], "u%d" % (200 + i)]
    if not i % 2:
        logins.append("second%d@%s" % (i, dom))
    exp.append({"address": p["address"], "logins": logins, "pw": p["pw"], "name": p["name"], "uid": p["uid"]})
open(out + "/users.ldif", "w").write("\n".join(recs) + "\n")
expect["ldif"] = {"domain": dom, "mailboxes": exp, "other_schemes": 0, "skipped": 1}
json.dump(expect, open(out + "/expect.json", "w"))
PY
[ -s "$T/expect.json" ] || { echo "FAIL: no test data"; exit 1; }

# PAM: a service of our own, the module from the build
mkdir "$T/pam.d"
pam_service() { # CONF
        printf 'auth required %s/pam_mailacct.so config=%s\naccount required %s/pam_mailacct.so config=%s protocol=imap\n' \
                "$BUILD" "$1" "$BUILD" "$1" >"$T/pam.d/imap"
}

# verify CONF FORMAT: every expected mailbox resolves by each login, has its
# name and uid, and (for a few) logs in through PAM with its password
verify() {
        python3 - "$T" "$1" "$2" "$M" <<'PY'
import json, random, re, subprocess, sys
t, conf, fmt, m = sys.argv[1:5]
exp = json.load(open(t + "/expect.json"))[fmt]
bad = 0
logins, want = [], []
for mb in exp["mailboxes"]:
    for l in mb["logins"]:
        logins.append(l)
        want.append(mb["address"])
r = subprocess.run([m, "-c", conf, "resolve", "--json"] + logins, capture_output=True, text=True)
got = json.loads(r.stdout)
for g, w in zip(got, want):
    if g["result"] != "ok" or g["mailbox"] != w:
        print("FAIL: %s: %s resolves to %s (%s), want %s" % (fmt, g["login"], g["mailbox"], g["result"], w)); bad += 1
for mb in exp["mailboxes"]:
    s = json.loads(subprocess.run([m, "-c", conf, "show", "--json", mb["address"]], capture_output=True, text=True).stdout)
    uid = s["passwd"]["uid"] if s["passwd"] else None
    if s["name"] != mb["name"] or uid != mb["uid"]:
        print("FAIL: %s: %s has name %r uid %r, want %r %r" % (fmt, mb["address"], s["name"], uid, mb["name"], mb["uid"])); bad += 1
    if s["enabled"] == bool(mb.get("disabled")):
        print("FAIL: %s: %s enabled = %s" % (fmt, mb["address"], s["enabled"])); bad += 1
    if (s["password"] == "yes") != (mb["pw"] != "-"):
        print("FAIL: %s: %s password %s, want %s" % (fmt, mb["address"], s["password"], "yes" if mb["pw"] != "-" else "no")); bad += 1
rnd = random.Random(1)
for mb in rnd.sample([x for x in exp["mailboxes"] if x["pw"] != "-"], 3):
    r = subprocess.run([m, "test", "--pam-dir", t + "/pam.d", mb["logins"][-1]], input=mb["pw"] + "\n",
                       capture_output=True, text=True)
    if r.returncode != 0 or not re.search(r"^PAM_USER: +" + re.escape(mb["address"]), r.stdout, re.M):
        print("FAIL: %s: %s does not log in with its imported password: %s" % (fmt, mb["logins"][-1], r.stdout)); bad += 1
    r = subprocess.run([m, "test", "--pam-dir", t + "/pam.d", mb["logins"][-1]], input="not-" + mb["pw"] + "\n",
                       capture_output=True, text=True)
    if r.returncode == 0:
        print("FAIL: %s: %s logs in with a wrong password" % (fmt, mb["logins"][-1])); bad += 1
sys.exit(1 if bad else 0)
PY
}

domain_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]["domain"])' "$T/expect.json" "$1"; }

for fmt in dovecot csv passwd ldif; do
        d=$T/$fmt
        mkdir -m 0755 "$d"
        conf=$d/mailacct.conf
        case $fmt in
        dovecot) args=(--domain "$(domain_of dovecot)" dovecot-passwd "$T/users.dovecot") ;;
        csv) args=(csv "$T/users.csv") ;;
        passwd) args=(--domain "$(domain_of passwd)" --shadow "$T/data.shadow" passwd "$T/data.passwd") ;;
        ldif) args=(ldif "$T/users.ldif") ;;
        esac
        "$M" -c "$conf" import --dry-run "${args[@]}" >"$T/out" 2>"$T/err"
        check "$fmt: --dry-run writes nothing: $(ls "$d")" '[ ! -e "$conf" ] && [ -z "$(ls "$d")" ]'
        check "$fmt: --dry-run says so" 'grep -q "dry run: nothing written" "$T/out"'
        "$M" -c "$conf" import "${args[@]}" >"$T/out" 2>"$T/err"
        rc=$?
        n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))[sys.argv[2]]["mailboxes"]))' "$T/expect.json" "$fmt")
        check "$fmt: import (exit $rc): $(cat "$T/out") $(head -c 600 "$T/err")" 'grep -q "import: $n read, $n added" "$T/out"'
        check "$fmt: the new configuration is 0644 and its secrets 0600" \
                '[ "$(stat -c %a "$conf")" = 644 ] && [ "$(stat -c %a "$d/mailacct.secrets")" = 600 ]'
        "$M" -c "$conf" check >"$T/check" 2>&1
        check "$fmt: check finds no error: $(cat "$T/check" | head -5)" '! grep -q ": error: " "$T/check"'
        pam_service "$conf"
        check "$fmt: every mailbox as imported" 'verify "$conf" $fmt'
        sum=$(cat "$conf" "$d/mailacct.secrets" | md5sum)
        "$M" -c "$conf" import "${args[@]}" >"$T/out" 2>"$T/err"
        check "$fmt: a second import changes nothing: $(cat "$T/out")" \
                '[ "$(cat "$conf" "$d/mailacct.secrets" | md5sum)" = "$sum" ] && grep -q " 0 added, 0 updated, $n unchanged" "$T/out"'
done
"$M" -c "$T/dovecot/x.conf" import --domain x.test dovecot-passwd "$T/users.dovecot" >"$T/out" 2>"$T/err"
check "dovecot-passwd: 10 {SSHA} passwords named and counted: $(cat "$T/err" | tail -3)" \
        'grep -q "10 passwords in schemes crypt(3) cannot verify ({SSHA})" "$T/err" && grep -q "10 not carried over" "$T/out"'
check "passwd: system accounts and nobody skipped" 'grep -q "3 skipped" <("$M" -c "$T/passwd/mailacct.conf" import --domain "$(domain_of passwd)" --shadow "$T/data.shadow" passwd "$T/data.passwd")'

# an existing configuration, hand-written: comments and layout kept, the new
# mailboxes appended; --update changes the one field that differs
e=$T/existing
mkdir -m 0755 "$e"
cat >"$e/mailacct.conf" <<'CONF'
# Hand-written: every byte of this stays.
secrets = "mailacct.secrets";   // beside it
defaults = { uid = 5000; gid = 5000; };
domains = ( { name = "keep.test"; netbios = "KEEP"; } );
mailboxes = (
  /* the first one */
  { address = "first@keep.test"; aliases = [ "first" ]; name = "First"; }
);
CONF
chmod 0644 "$e/mailacct.conf"
cp "$e/mailacct.conf" "$e/orig.conf"
printf 'address,name,uid\nfirst@keep.test,First,\nnew@keep.test,New One,5100\nnew2@far.test,Far,5101\n' >"$e/in.csv"
"$M" -c "$e/mailacct.conf" import csv "$e/in.csv" >"$T/out" 2>"$T/err"
check "existing: 2 added, 1 unchanged: $(cat "$T/out" "$T/err")" 'grep -q "3 read, 2 added, 0 updated, 1 unchanged" "$T/out"'
# only insertions: every byte of the old text, in order
only_inserted() {
        python3 -c 'import difflib,sys; a=open(sys.argv[1]).read(); b=open(sys.argv[2]).read(); sys.exit(any(op != "equal" and op != "insert" for op, *_ in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()))' "$1" "$2"
}
check "existing: the old text is all there, in order, only added to: $(diff "$e/orig.conf" "$e/mailacct.conf")" \
        'only_inserted "$e/orig.conf" "$e/mailacct.conf"'
check "existing: the comments are kept" 'grep -q "/\* the first one \*/" "$e/mailacct.conf" && grep -q "// beside it" "$e/mailacct.conf"'
check "existing: resolves the new ones" '[ "$("$M" -c "$e/mailacct.conf" resolve new new2@far.test | tr "\n" " ")" = "new@keep.test new2@far.test " ]'
printf 'address,name,uid\nfirst@keep.test,Renamed,5007\n' >"$e/upd.csv"
cp "$e/mailacct.conf" "$e/before.conf"
"$M" -c "$e/mailacct.conf" import csv "$e/upd.csv" >"$T/out" 2>"$T/err"
rc=$?
check "existing: a differing mailbox is reported, left as it is, exit 1 (exit $rc): $(cat "$T/err")" \
        '[ $rc -eq 1 ] && grep -q "first@keep.test: differs from the configuration in name, uid" "$T/err" && cmp -s "$e/mailacct.conf" "$e/before.conf"'
"$M" -c "$e/mailacct.conf" import --update csv "$e/upd.csv" >"$T/out" 2>"$T/err"
check "existing: --update changes the name and adds the uid, nothing else: $(diff "$e/before.conf" "$e/mailacct.conf")" \
        '[ "$(diff "$e/before.conf" "$e/mailacct.conf" | grep -c "^[<>]")" -eq 2 ] && grep -q "name = \"Renamed\"; uid = 5007;" "$e/mailacct.conf"'
check "existing: after --update the same import changes nothing" \
        '"$M" -c "$e/mailacct.conf" import csv "$e/upd.csv" | grep -q "1 unchanged"'
# an import that would break the configuration changes nothing
printf 'address,nt_account\nclash1@keep.test,dup\nclash2@keep.test,dup\n' >"$e/bad.csv"
cp "$e/mailacct.conf" "$e/before.conf"
"$M" -c "$e/mailacct.conf" import csv "$e/bad.csv" >"$T/out" 2>"$T/err"
rc=$?
check "existing: an import the configuration would refuse changes nothing (exit $rc): $(cat "$T/err")" \
        '[ $rc -eq 2 ] && cmp -s "$e/mailacct.conf" "$e/before.conf" && grep -q "unchanged" "$T/err"'
check "existing: no temporary file left" '[ -z "$(ls "$e" | grep -v -e "\.conf$" -e "\.csv$" -e "secrets")" ]'
# usage
"$M" import csv >/dev/null 2>&1
rc=$?
check "import without FILE is a usage error (exit $rc)" '[ $rc -eq 64 ]'
"$M" -c "$e/x.conf" import passwd "$T/data.passwd" >/dev/null 2>&1
rc=$?
check "passwd without --domain is a usage error (exit $rc)" '[ $rc -eq 64 ]'
"$M" -c "$e/x.conf" import xml "$T/data.passwd" >/dev/null 2>&1
rc=$?
check "an unknown format is a usage error (exit $rc)" '[ $rc -eq 64 ] && [ ! -e "$e/x.conf" ]'

echo "import: $checks checks, $fails failed"
[ $fails -eq 0 ]
