# bin/finote-db status and migrate: fresh install, idempotence, explicit
# versions, a failing upgrade that leaves the database as it was, and the
# tool's manners (no secrets in messages, clear failures).
use strict;
use warnings;
use lib 'test/lib';
use FinoteDb;
use Test::More;
my $dead_port = free_port();    # nothing listens there

my $srv = start_server('dbtool-200', free_port());
psql_ok($srv, 'postgres', 'CREATE DATABASE finote') or BAIL_OUT('createdb');
my $default = psql_val($srv, 'finote', "SELECT default_version FROM pg_available_extensions WHERE name = 'finote'");
my @versions = split /\n/, psql_val($srv, 'finote',
    "SELECT version FROM pg_available_extension_versions WHERE name = 'finote' ORDER BY string_to_array(version, '.')::int[]");
my $oldest = $versions[0];
note("versions: @versions; default $default");

my ($rc, $out, $err) = tool($srv, ['status']);
is($rc, 0, 'status exits 0 without the extension');
like($out, qr/^installed:\s+not installed$/m, 'status: not installed');
like($out, qr/^available:\s+\Q@versions\E \(default \Q$default\E\)$/m, 'status lists the available versions');
like($out, qr/^pending:\s+install \Q$default\E/m, 'status: pending install');

if (@versions > 1) {
    ($rc, $out, $err) = tool($srv, ['migrate', $oldest]);
    is($rc, 0, "migrate $oldest installs the oldest version") or diag($err);
    like($out, qr/none -> \Q$oldest\E/, 'migrate prints from -> to');
    like($out, qr/ran: finote--\Q$oldest\E\.sql/, 'migrate prints the scripts that ran');
    is(psql_val($srv, 'finote', "SELECT extversion FROM pg_extension WHERE extname = 'finote'"), $oldest, "at $oldest");
    ($rc, $out) = tool($srv, ['status']);
    like($out, qr/^pending:\s+\Q$oldest\E -> \Q$default\E via .*finote--\Q$oldest\E--/m, 'status shows the pending upgrade path and scripts');

    # Data written at the old version, to see it survive both a failed and a
    # successful migration.
    psql_val($srv, 'finote', "SELECT finote.register('keep', 'keep password')");
    psql_val($srv, 'finote', "SELECT finote.note_create(finote.login('keep', 'keep password') ->> 'token', 'kept', 'body')");
    my $before = psql_val($srv, 'finote', "SELECT string_agg(n::text, ',' ORDER BY id) FROM finote.notes n");

    # A broken upgrade script on the private server: its first statement
    # succeeds, its second fails; nothing of it may stay.
    FinoteDb::spew("$srv->{extdir}/finote--$oldest--$default.sql",
        FinoteDb::slurp("$srv->{extdir}/finote--$oldest--$default.sql")
        . "\nCREATE TABLE finote.half_done (x int);\nSELECT 1 / 0;\n");
    ($rc, $out, $err) = tool($srv, ['migrate']);
    isnt($rc, 0, 'migrate with a broken upgrade script fails');
    like($err, qr/division by zero/, 'the database error is shown');
    like($err, qr/rolled back: .* is still at \Q$oldest\E .*attempt 1 of 20\)/, 'the message says the database is still at the old version');
    is(psql_val($srv, 'finote', "SELECT extversion FROM pg_extension WHERE extname = 'finote'"), $oldest, 'still at the old version');
    is(psql_val($srv, 'finote', "SELECT count(*) FROM pg_class WHERE relname = 'half_done'"), '0', 'nothing of the broken script stays');
    is(psql_val($srv, 'finote', "SELECT string_agg(n::text, ',' ORDER BY id) FROM finote.notes n"), $before, 'data unchanged');
    FinoteDb::reinstall_scripts($srv, $ROOT);

    # A long transaction holding a lock on notes (a busy service): with one
    # attempt, migrate gives up after FINOTE_LOCK_TIMEOUT instead of queueing
    # behind it (215_db_migrate_retry.t: the attempts that follow).
    my $bindir = `'$srv->{pg_config}' --bindir`; chomp $bindir;
    open my $holder, '|-', "'$bindir/psql' -X -q -h 127.0.0.1 -p $srv->{port} -U postgres finote >/dev/null" or die;
    select((select($holder), $| = 1)[0]);
    print $holder "BEGIN; SELECT count(*) FROM finote.notes;\n";
    my $held = 0;
    for (1 .. 50) {
        last if ($held = psql_val($srv, 'finote', "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'notes' AND l.granted"));
        select(undef, undef, undef, 0.1);
    }
    ok($held, 'another session holds a lock on finote.notes');
    ($rc, $out, $err) = tool($srv, ['migrate'], ENV => { FINOTE_LOCK_TIMEOUT => '1s', FINOTE_MIGRATE_ATTEMPTS => '1' });
    isnt($rc, 0, 'migrate fails when it cannot get its lock in FINOTE_LOCK_TIMEOUT');
    like($err, qr/ERROR:  55P03: canceling statement due to lock timeout/, 'the lock timeout is shown with its SQLSTATE');
    like($err, qr/still at \Q$oldest\E .*attempt 1 of 1\)/, 'and the database is still at the old version');
    print $holder "COMMIT;\n";
    close $holder;

    ($rc, $out, $err) = tool($srv, ['migrate']);
    is($rc, 0, 'migrate to the default version') or diag($err);
    like($out, qr/\Q$oldest\E -> \Q$default\E/, 'prints from -> to');
    like($out, qr/ran: finote--\Q$oldest\E--/, 'prints the upgrade scripts');
    is(psql_val($srv, 'finote', "SELECT extversion FROM pg_extension WHERE extname = 'finote'"), $default, "at $default");
    is(psql_val($srv, 'finote', "SELECT string_agg(row(user_id, id, title, content, created_at, updated_at)::text, ',' ORDER BY id) FROM finote.notes n"),
       $before, 'the old columns of the notes are unchanged');
} else {
    ($rc, $out, $err) = tool($srv, ['migrate']);
    is($rc, 0, 'migrate installs the only version') or diag($err);
}

($rc, $out) = tool($srv, ['migrate']);
is($rc, 0, 'migrate again is a no-op');
like($out, qr/already at finote \Q$default\E; nothing to do/, 'and says so');
($rc, $out) = tool($srv, ['status']);
like($out, qr/^pending:\s+none \(up to date\)$/m, 'status: up to date');

($rc, $out, $err) = tool($srv, ['migrate', '9.9']);
isnt($rc, 0, 'migrate to an unknown version fails');
like($err, qr/version 9\.9 is not available on the server \(available: /, 'with a clear message');
($rc, $out, $err) = tool($srv, ['migrate', "1.0'; DROP TABLE x; --"]);
isnt($rc, 0, 'a malformed version is refused');
like($err, qr/not a version/, 'as not a version');
if (@versions > 1) {
    ($rc, $out, $err) = tool($srv, ['migrate', $oldest]);
    isnt($rc, 0, 'a downgrade is refused');
    like($err, qr/no update path from \Q$default\E to \Q$oldest\E/, 'no update path');
}

# Manners: a password in the URL never shows, failures are clear.
my $secret = 'S3cr3t-pw';
my $url = "postgresql://postgres:$secret\@127.0.0.1:$srv->{port}/finote";
($rc, $out, $err) = tool($srv, ['status'], ENV => { DATABASE_URL => $url });
is($rc, 0, 'status with a password in the URL');
unlike("$out$err", qr/\Q$secret\E/, 'the password is not printed');
like($out, qr{postgresql://postgres:\*\*\*\@127\.0\.0\.1:\d+/finote}, 'the URL is shown masked');
($rc, $out, $err) = tool($srv, ['status'], ENV => { DATABASE_URL => "postgresql://postgres:$secret\@127.0.0.1:$dead_port/finote" });
isnt($rc, 0, 'status against a server that is down fails');
like($err, qr/cannot connect to postgresql:\/\/postgres:\*\*\*\@/, 'with a clear, masked message');
unlike("$out$err", qr/\Q$secret\E/, 'the password is not printed on failure either');
($rc, $out, $err) = tool($srv, ['migrate'], ENV => { DATABASE_URL => "postgresql://postgres:$secret\@127.0.0.1:$srv->{port}/nosuchdb" });
isnt($rc, 0, 'migrate on a missing database fails');
unlike("$out$err", qr/\Q$secret\E/, 'no password in that message');
($rc, $out, $err) = tool($srv, ['status'], ENV => { DATABASE_URL => undef });
isnt($rc, 0, 'no DATABASE_URL: fails');
like($err, qr/DATABASE_URL is not set/, 'and says so');
($rc, $out, $err) = tool($srv, ['frobnicate']);
isnt($rc, 0, 'an unknown command fails');
like($err, qr/unknown command: frobnicate/, 'and says which');
($rc, $out) = tool(undef, ['help']);
is($rc, 0, 'help');
like($out, qr/^\s+status\s/m, 'help lists the commands');

done_testing();
