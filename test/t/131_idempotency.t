# Extension 1.3 through the shim: Idempotency-Key (shim/README.md). A keyed
# write is done once: the same request again answers what the first
# answered, with Idempotent-Replayed; a create whose connection to the
# database broke after its commit is sent once more by the shim and answered
# from the key, so exactly one note exists; concurrent repeats; the same key
# with another body; malformed keys. The 1.2.2 shim against this 1.3
# database and this shim against a 1.2.2 database (no import there) are at
# the end.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use File::Temp qw(tempdir);
use POSIX ();
use JSON::PP;
use Time::HiRes qw(sleep time);
use Test::More;

my $pg_port = free_port();
my (undef, $dburl) = start_cluster('t131', $pg_port);
my $shim_port = free_port();
my $shim = start_shim(PORT => $shim_port, DATABASE_URL => $dburl, SESSION_SECRET => 'k' x 32);
my $r;

sub header { my ($r, $h) = @_; my $v = $r->{headers}{$h}; return ref $v ? join(',', @$v) : $v }
sub notes_of {
    my ($user) = @_;
    return psql($pg_port, 'finote',
        "SELECT count(*) FROM finote.notes n JOIN finote.users u ON u.id = n.user_id WHERE u.username = '$user'");
}

$r = api($shim, 'GET', '/readyz');
is($r->{json}{extension_version}, '1.3', 'ready at 1.3');
my ($login) = register_and_login($shim, 'ann', 'annpassword');
my @auth = (Authorization => "Bearer $login->{json}{token}");

# --- replay, mismatch, malformed ----------------------------------------------
$r = api($shim, 'POST', '/api/notes', { title => 'once', content => 'c' }, @auth, 'Idempotency-Key' => 'k-1');
is($r->{status}, 201, 'keyed create: 201');
is(header($r, 'etag'), '"1"', 'keyed create: ETag');
ok(!defined header($r, 'idempotent-replayed'), 'the first answer is not a replay');
my $first = $r;
$r = api($shim, 'POST', '/api/notes', { title => 'once', content => 'c' }, @auth, 'Idempotency-Key' => 'k-1');
is($r->{status}, 201, 'the same request again: 201 again');
is(header($r, 'idempotent-replayed'), 'true', 'with Idempotent-Replayed: true');
is($r->{content}, $first->{content}, 'the same body');
is(header($r, 'etag'), '"1"', 'the same ETag');
is(notes_of('ann'), 1, 'one note');
$r = api($shim, 'POST', '/api/notes', { title => 'other', content => 'c' }, @auth, 'Idempotency-Key' => 'k-1');
is($r->{status}, 422, 'the same key with another body: 422');
is($r->{json}{error}{code}, 'idempotency_key_mismatch', '422: idempotency_key_mismatch');
for my $bad ('', 'has space', 'k' x 256) {
    $r = api($shim, 'POST', '/api/notes', { title => 'bad key' }, @auth, 'Idempotency-Key' => $bad);
    is($r->{status}, 400, 'malformed key (' . length($bad) . ' bytes): 400');
    is($r->{json}{error}{code}, 'invalid_input', 'malformed key: invalid_input');
}
my $raw = raw_request($shim_port, "POST /api/notes HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
      . "Authorization: Bearer $login->{json}{token}\r\nContent-Type: application/json\r\n"
      . "Idempotency-Key: caf\xc3\xa9\r\nContent-Length: 15\r\n\r\n{\"title\":\"caf\"}");
like($raw, qr{^HTTP/1\.1 400 }, 'a key of non-ASCII bytes: 400');
$r = api($shim, 'POST', '/api/notes', { title => 'bad key' }, @auth, 'Idempotency-Key' => ['a', 'b']);
is($r->{status}, 400, 'two Idempotency-Key headers: 400');
is(api($shim, 'POST', '/api/notes', { title => 'longest' }, @auth, 'Idempotency-Key' => '"' . ('k' x 253) . '"')->{status},
    201, 'a quoted key of 255 bytes: 201');
is(notes_of('ann'), 2, 'no malformed key made a note');
# without the header nothing changes: two creates, two notes
api($shim, 'POST', '/api/notes', { title => 'plain' }, @auth) for 1 .. 2;
is(notes_of('ann'), 4, 'without a key, each create is a note');
# another user's key of the same name is another key
my ($bob) = register_and_login($shim, 'bob', 'bobpassword');
$r = api($shim, 'POST', '/api/notes', { title => 'once', content => 'c' }, Authorization => "Bearer $bob->{json}{token}",
    'Idempotency-Key' => 'k-1');
ok($r->{status} == 201 && !defined header($r, 'idempotent-replayed'), "bob's k-1 is his own: a new note");
is(notes_of('bob'), 1, 'bob has one note');

# --- the restore routes ---------------------------------------------------------
my $id = $first->{json}{note}{id};
is(api($shim, 'DELETE', "/api/notes/$id", undef, @auth)->{status}, 204, 'delete');
$r = api($shim, 'POST', "/api/trash/$id/restore", undef, @auth, 'Idempotency-Key' => 'restore-1');
is($r->{status}, 200, 'keyed restore from the trash: 200');
my $restored = $r->{content};
$r = api($shim, 'POST', "/api/trash/$id/restore", undef, @auth, 'Idempotency-Key' => 'restore-1');
is($r->{status}, 200, 'again: 200, not 404');
is(header($r, 'idempotent-replayed'), 'true', 'again: replayed');
is($r->{content}, $restored, 'again: the same note');
$r = api($shim, 'PATCH', "/api/notes/$id", { content => 'changed' }, @auth);
my $rev = api($shim, 'GET', "/api/notes/$id/revisions", undef, @auth)->{json}{revisions}[0]{id};
$r = api($shim, 'POST', "/api/notes/$id/revisions/$rev/restore", undef, @auth, 'Idempotency-Key' => 'rev-1');
is($r->{status}, 200, 'keyed revision restore: 200');
my $version = $r->{json}{note}{version};
$r = api($shim, 'POST', "/api/notes/$id/revisions/$rev/restore", undef, @auth, 'Idempotency-Key' => 'rev-1');
is(header($r, 'idempotent-replayed'), 'true', 'revision restore again: replayed');
is(api($shim, 'GET', "/api/notes/$id", undef, @auth)->{json}{note}{version}, $version,
    'revision restore again: the note did not move on');
$r = api($shim, 'POST', "/api/notes/$id/revisions/$rev/restore", undef, @auth, 'Idempotency-Key' => 'rev-2',
    'If-Match' => '"1"');
is($r->{status}, 412, 'a keyed restore with a stale If-Match: 412');
is(psql($pg_port, 'finote', "SELECT count(*) FROM finote.idempotency_keys WHERE key = 'rev-2'"), 0,
    'a failed write keeps no key');

# --- a writer per tab (PATCH's writer) --------------------------------------------
# Two tabs of one session within the collapse window (1 min by default):
# each names itself, and the text of the first stays in the history.
$r = api($shim, 'POST', '/api/notes', { title => 'tabs', content => 'original' }, @auth);
my $tabs = $r->{json}{note}{id};
is(api($shim, 'PATCH', "/api/notes/$tabs", { content => 'tab A text', writer => 'tab-a' }, @auth)->{status}, 200,
    'PATCH with writer: 200');
is(api($shim, 'PATCH', "/api/notes/$tabs", { content => 'tab B text', writer => 'tab-b' }, @auth)->{status}, 200,
    'PATCH from the other tab: 200');
my @texts = map { api($shim, 'GET', "/api/notes/$tabs/revisions/$_->{id}", undef, @auth)->{json}{content} // '' }
  @{ api($shim, 'GET', "/api/notes/$tabs/revisions", undef, @auth)->{json}{revisions} };
ok((grep { $_ eq 'tab A text' } @texts), "tab A's text is in the history") or diag(explain \@texts);
for my $bad ('', 'has space', 'w' x 65) {
    is(api($shim, 'PATCH', "/api/notes/$tabs", { content => 'never', writer => $bad }, @auth)->{status}, 400,
        'a malformed writer (' . length($bad) . ' chars): 400');
}
is(api($shim, 'PATCH', "/api/notes/$tabs", { content => 'never', writer => 7 }, @auth)->{status}, 400,
    'a writer that is not a string: 400');

# --- concurrent repeats ---------------------------------------------------------
# Forked children leave by POSIX::_exit: FinoteTest's END would stop the
# clusters and shims. The first request waits for a lock on notes that psql holds, so that the
# second comes while the first runs: 409, then the first is 201 and a third
# is its replay.
my $locker = fork // die;
if (!$locker) {
    psql($pg_port, 'finote', 'BEGIN; LOCK TABLE finote.notes IN SHARE MODE; SELECT pg_sleep(3); COMMIT');
    POSIX::_exit(0);
}
sleep 0.5;
my $slow = fork // die;
if (!$slow) {
    my $s = api($shim, 'POST', '/api/notes', { title => 'slow' }, @auth, 'Idempotency-Key' => 'k-slow');
    POSIX::_exit($s->{status} == 201 ? 0 : 1);
}
my $waiting = 0;
for (1 .. 50) {
    $waiting = psql($pg_port, 'finote', "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'");
    last if $waiting;
    sleep 0.1;
}
ok($waiting, 'the first request waits for the lock');
$r = api($shim, 'POST', '/api/notes', { title => 'slow' }, @auth, 'Idempotency-Key' => 'k-slow');
is($r->{status}, 409, 'a repeat while the first runs: 409');
is($r->{json}{error}{code}, 'idempotency_key_in_use', '409: idempotency_key_in_use');
waitpid($slow, 0);
is($?, 0, 'the first request: 201');
waitpid($locker, 0);
$r = api($shim, 'POST', '/api/notes', { title => 'slow' }, @auth, 'Idempotency-Key' => 'k-slow');
is(header($r, 'idempotent-replayed'), 'true', 'once it is done, a repeat is its replay');
# A race of 4 at once: each is 201 or 409, and one note was made.
my $before = notes_of('ann');
my @kids;
for my $n (1 .. 4) {
    my $pid = fork // die;
    if (!$pid) {
        my $s = api($shim, 'POST', '/api/notes', { title => 'race' }, @auth, 'Idempotency-Key' => 'k-race');
        POSIX::_exit($s->{status} == 201 ? 0 : $s->{status} == 409 ? 1 : 2);
    }
    push @kids, $pid;
}
my %got;
for (@kids) { waitpid($_, 0); $got{ $? >> 8 }++ }
ok(!$got{2}, 'a race of 4: every answer 201 or 409') or diag(explain \%got);
ok($got{0}, 'a race of 4: at least one 201');
is(notes_of('ann') - $before, 1, 'a race of 4: one note');

# --- the connection cut after the commit ---------------------------------------
# A synchronous standby that never comes: a commit is written locally, then
# waits; terminating the backend then (pg_terminate_backend) loses the answer
# of a committed write, as a failover can. The retry of a keyed write finds
# the key and needs no commit of its own, so it does not wait.
sub cut_after_commit {
    my ($key) = @_;
    psql($pg_port, 'postgres', "ALTER SYSTEM SET synchronous_standby_names = 'nobody'");
    psql($pg_port, 'postgres', 'SELECT pg_reload_conf()');
    sleep 0.3;
    my $killer = fork // die;
    if (!$killer) {
        for (1 .. 100) {
            my $n = psql($pg_port, 'postgres',
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE wait_event = 'SyncRep'");
            POSIX::_exit(0) if $n;
            sleep 0.1;
        }
        POSIX::_exit(1);
    }
    my $t0 = time;
    my $res = api($shim, 'POST', '/api/notes', { title => "cut " . ($key // "unkeyed") }, @auth,
        defined $key ? ('Idempotency-Key' => $key) : ());
    waitpid($killer, 0);
    my $killed = $? == 0;
    psql($pg_port, 'postgres', 'ALTER SYSTEM RESET synchronous_standby_names');
    psql($pg_port, 'postgres', 'SELECT pg_reload_conf()');
    sleep 0.3;
    ok($killed, 'the backend waiting after its commit was terminated');
    return $res;
}
# Without a key (as before 1.3): 503, though the note exists: a client that
# sends it again makes a second one.
$before = notes_of('ann');
$r = cut_after_commit(undef);
is($r->{status}, 503, 'unkeyed create cut after its commit: 503');
is(notes_of('ann') - $before, 1, 'yet it committed: a retry would double it');
# With a key: the shim sends it once more, and the answer comes from the key.
my $retries = metric_value(api($shim, 'GET', '/metrics')->{content},
    'finote_db_statement_retries_total{reason="connection_lost"}') // 0;
$before = notes_of('ann');
$r = cut_after_commit('k-cut');
is($r->{status}, 201, 'keyed create cut after its commit: 201') or diag($r->{content});
is(header($r, 'idempotent-replayed'), 'true', 'answered from the key (the shim sent it again)');
is($r->{json}{note}{title}, 'cut k-cut', 'with the note');
is((metric_value(api($shim, 'GET', '/metrics')->{content}, 'finote_db_statement_retries_total{reason="connection_lost"}') // 0)
    - $retries, 1, 'one retry counted');
$r = api($shim, 'POST', '/api/notes', { title => 'cut k-cut' }, @auth, 'Idempotency-Key' => 'k-cut');
is(header($r, 'idempotent-replayed'), 'true', 'and the client sending it again: replayed');
is(notes_of('ann') - $before, 1, 'exactly one note');
logs_clean($shim, 'annpassword', $login->{json}{token});
stop_shim($shim);

# --- the 1.2.2 shim, built from git history, against this 1.3 database ----------
SKIP: {
    my $shallow = `git -C '$ROOT' rev-parse --is-shallow-repository 2>/dev/null`;
    chomp $shallow;
    skip 'no git history here (a tarball, or a shallow clone): the 1.2.2 shim cannot be built from it', 1
      unless $shallow eq 'false';
    # the last commit before the one that made 1.3 the default
    my $bump = `git -C '$ROOT' log --format=%H -1 -S"default_version = '1.3'" -- extension/finote.control`;
    chomp $bump;
    skip 'no commit makes 1.3 the default yet', 1 unless $bump;
    my $commit = "$bump^";
    diag("the 1.2.2 shim: shim/ of $commit, the parent of the commit that made 1.3 the default");
    my $tmp = tempdir(CLEANUP => 1);
    system("git -C '$ROOT' archive $commit shim | tar -x -C '$tmp'") == 0 or die 'git archive failed';
    system('make', '-s', '-C', "$tmp/shim", 'finote-shim', 'CFLAGS=-O0 -g') == 0 or die 'the 1.2.2 shim does not build';
    my $old = do {
        local $ENV{FINOTE_SHIM_BIN} = "$tmp/shim/finote-shim";
        start_shim(PORT => free_port(), DATABASE_URL => $dburl, SESSION_SECRET => 'k' x 32, tag => 'shim-1.2.2');
    };
    $r = api($old, 'GET', '/readyz');
    like($r->{json}{error}{message} // '', qr/has finote 1\.3; this shim needs 1\.2/,
        '1.2.2 shim: /readyz names the 1.3 database');
    my ($l) = register_and_login($old, 'erin', 'erinpassword');
    my @e = (Authorization => "Bearer $l->{json}{token}");
    for (1 .. 2) {
        $r = api($old, 'POST', '/api/notes', { title => 'from 1.2.2' }, @e, 'Idempotency-Key' => 'e-1');
        is($r->{status}, 201, '1.2.2 shim: create (its key is not looked at)');
        ok(!defined header($r, 'idempotent-replayed'), '1.2.2 shim: no replay');
    }
    is(notes_of('erin'), 2, '1.2.2 shim: a key it does not know changes nothing');
    my $n = $r->{json}{note}{id};
    is(api($old, 'PATCH', "/api/notes/$n", { content => 'x' }, @e, 'If-Match' => '"1"')->{status}, 200, '1.2.2 shim: patch');
    is(api($old, 'DELETE', "/api/notes/$n", undef, @e)->{status}, 204, '1.2.2 shim: delete');
    is(api($old, 'POST', "/api/trash/$n/restore", undef, @e)->{status}, 200, '1.2.2 shim: restore');
    is(api($old, 'GET', '/api/export', undef, @e)->{status}, 200, '1.2.2 shim: export');
    is(api($old, 'GET', "/api/notes/$n/revisions", undef, @e)->{status}, 200, '1.2.2 shim: revisions');
    stop_shim($old);
}

# --- this shim against a 1.2.2 database ----------------------------------------
my $pg_old = free_port();
my (undef, $old_url) = start_cluster('t131-122', $pg_old, version => '1.2.2');
$shim = start_shim(PORT => $shim_port, DATABASE_URL => $old_url, SESSION_SECRET => 'k' x 32);
$r = api($shim, 'GET', '/readyz');
is($r->{status}, 503, '1.3 shim, 1.2.2 database: not ready');
like($r->{json}{error}{message}, qr/has finote 1\.2\.2; this shim needs 1\.3/, '/readyz names both versions');
my ($f) = register_and_login($shim, 'frank', 'frankpassword');
my @fa = (Authorization => "Bearer $f->{json}{token}");
for (1 .. 2) {
    $r = api($shim, 'POST', '/api/notes', { title => 't' }, @fa, 'Idempotency-Key' => 'f-1');
    is($r->{status}, 201, '1.2.2: create with a key');
    ok(!defined header($r, 'idempotent-replayed'), '1.2.2: not replayed (no keys there)');
}
is(api($shim, 'POST', '/api/notes', { title => 't' }, @fa, 'Idempotency-Key' => 'has space')->{status}, 201,
    '1.2.2: the key is not even looked at');
is(psql($pg_old, 'finote', 'SELECT count(*) FROM finote.notes'), 3, '1.2.2: every create made its note');
my $fn = $r->{json}{note}{id};
is(api($shim, 'PATCH', "/api/notes/$fn", { content => 'c2' }, @fa, 'If-Match' => '"1"')->{status}, 200, '1.2.2: patch');
is(api($shim, 'DELETE', "/api/notes/$fn", undef, @fa)->{status}, 204, '1.2.2: delete');
is(api($shim, 'POST', "/api/trash/$fn/restore", undef, @fa, 'Idempotency-Key' => 'f-2')->{status}, 200, '1.2.2: restore');
# how the web app tells 1.3 (132_import.t: 204 there)
is(api($shim, 'OPTIONS', '/api/import')->{status}, 404, '1.2.2: OPTIONS /api/import is 404');
is(api($shim, 'POST', '/api/import', '{}', @fa)->{status}, 404, '1.2.2: POST /api/import is 404');
stop_shim($shim);

done_testing();
