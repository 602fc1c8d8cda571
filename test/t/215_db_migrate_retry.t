# bin/finote-db migrate on a busy database: a long transaction holds a lock
# on finote.notes, so the upgrade's ALTER TABLE cannot get its own. Each
# attempt waits at most FINOTE_LOCK_TIMEOUT, is rolled back (releasing its
# place in the lock queue) and is tried again; meanwhile the service's reads
# of notes, which queue behind a waiting ALTER TABLE, wait no longer than
# that timeout. Once the long transaction ends, the migration succeeds.
use strict;
use warnings;
use lib 'test/lib';
use FinoteDb;
use Test::More;
use Time::HiRes qw(time sleep);
use POSIX ();

my $srv = start_server('dbtool-215', free_port());
psql_ok($srv, 'postgres', 'CREATE DATABASE finote') or BAIL_OUT('createdb');
my @versions = split /\n/, psql_val($srv, 'finote',
    "SELECT version FROM pg_available_extension_versions WHERE name = 'finote' ORDER BY string_to_array(version, '.')::int[]");
my $default = psql_val($srv, 'finote', "SELECT default_version FROM pg_available_extensions WHERE name = 'finote'");
# The oldest version: its path to the default alters finote.notes (1.0 -> 1.1
# adds columns), so the upgrade needs an ACCESS EXCLUSIVE lock on it.
my $oldest = $versions[0];
plan skip_all => 'one version only: no upgrade to take a lock' if $oldest eq $default;
my ($rc, $out, $err) = tool($srv, ['migrate', $oldest]);
is($rc, 0, "installed $oldest") or diag($err);
psql_val($srv, 'finote', "SELECT finote.register('busy', 'busy password')");
psql_val($srv, 'finote', "SELECT finote.note_create(finote.login('busy', 'busy password') ->> 'token', 'n', 'body')");

my $bindir = `'$srv->{pg_config}' --bindir`;
chomp $bindir;
my $psql = "'$bindir/psql' -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $srv->{port} -U postgres finote";
my $hold_s = 6;    # long enough that a slow start of migrate still meets the lock

# The long transaction: reads notes (ACCESS SHARE), stays open $hold_s
# seconds, then commits; its exit status says whether the commit succeeded.
my $holder = fork // die "fork: $!";
if (!$holder) {
    open my $h, '|-', "$psql >/dev/null" or die;
    select((select($h), $| = 1)[0]);
    print $h "BEGIN; SELECT count(*) FROM finote.notes;\n";
    sleep $hold_s;
    print $h "COMMIT;\n";
    close $h;
    POSIX::_exit($? >> 8);    # not exit: END would stop the server
}
my $held = 0;
for (1 .. 50) {
    last if ($held = psql_val($srv, 'finote',
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'notes' AND l.granted"));
    sleep 0.1;
}
ok($held, 'another session holds a lock on finote.notes');

# The service: a read of notes every 50 ms, each timed by psql, for longer
# than the migration takes.
my $reads = fork // die "fork: $!";
if (!$reads) {
    open STDOUT, '>', "$srv->{dir}/reads.out" or die;
    open my $r, '|-', $psql or die;
    print $r "\\timing on\n";
    print $r "SELECT count(*) FROM finote.notes; SELECT pg_sleep(0.05);\n" for 1 .. 150;
    close $r;
    POSIX::_exit($? >> 8);    # not exit: END would stop the server
}

my $t0 = time;
($rc, $out, $err) = tool($srv, ['migrate'], ENV => { FINOTE_LOCK_TIMEOUT => '300ms' });
my $took = time - $t0;
is($rc, 0, 'migrate succeeds once the long transaction has ended') or diag($err);
like($err, qr/attempt 1 of 20: a lock was not granted within 300ms, rolled back; again in 1s/,
    'the first attempt gave up after FINOTE_LOCK_TIMEOUT and said so');
like($out, qr/ran: finote--\Q$oldest\E--.*\(one transaction; attempt [2-9] of 20\)/, 'a later attempt ran the scripts');
cmp_ok($took, '>=', $hold_s - 0.5, 'it did not finish before the lock was released');
is(psql_val($srv, 'finote', "SELECT extversion FROM pg_extension WHERE extname = 'finote'"), $default, "at $default");

waitpid $holder, 0;
is($? >> 8, 0, 'the long transaction was not disturbed: it committed');
waitpid $reads, 0;
is($? >> 8, 0, 'every read succeeded');
my @ms = slurp("$srv->{dir}/reads.out") =~ /^Time: ([\d.]+) ms/mg;
# Every other timing is the pg_sleep(0.05).
my @read_ms = @ms[grep { $_ % 2 == 0 } 0 .. $#ms];
my ($max) = sort { $b <=> $a } @read_ms;
cmp_ok(scalar(@read_ms), '>=', 100, 'the reads ran') or diag(scalar(@read_ms));
# A read queued behind a waiting attempt waits at most its 300 ms; without
# the retry it would wait the whole $hold_s s behind the ALTER TABLE.
cmp_ok($max, '<', 1000, "no read of notes was blocked for long (longest: $max ms)");
note("migrate took ${took}s; longest read ${max} ms");

# (One attempt, FINOTE_MIGRATE_ATTEMPTS=1, is 200_db_status_migrate.t's case.)
($rc, $out, $err) = tool($srv, ['migrate'], ENV => { FINOTE_MIGRATE_ATTEMPTS => '0' });
isnt($rc, 0, 'FINOTE_MIGRATE_ATTEMPTS=0 is refused');
like($err, qr/FINOTE_MIGRATE_ATTEMPTS must be a whole number from 1 to 9999, not '0'/, 'with a clear message');

done_testing();
