# finote 1.2, two writers of one note at once, each holding version 1 (two
# devices, one old copy): the first to commit wins, and the second, which
# waited for it, is refused with PT412 instead of overwriting its text.
# Real concurrent sessions, which pg_regress cannot open: the second waits
# on the first's row lock, and then must see the first's version.
use strict;
use warnings;
use lib 'test/lib';
use FinoteDb;
use File::Temp qw(tempdir);
use Test::More;

my $srv = start_server('dbtool-209', free_port());
psql_ok($srv, 'postgres', "CREATE DATABASE finote TEMPLATE template0 ENCODING 'UTF8'") or die;
psql_ok($srv, 'finote', 'CREATE EXTENSION finote') or die;
my $bindir = FinoteDb::sys_config('bindir');
my $tmp = tempdir(CLEANUP => 1);

psql_val($srv, 'finote', q{SELECT finote.register('both', 'both password')});
my $tok = psql_val($srv, 'finote', q{SELECT finote.login('both', 'both password') ->> 'token'});
my $psql = "'$bindir/psql' -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $srv->{port} -U postgres finote";

# first: its write in an open transaction, holding the note's lock; second:
# the same write from the same version, in the background, which must wait.
sub race {
    my ($id, $first, $second) = @_;
    open my $a, '|-', "$psql >'$tmp/first' 2>&1" or die;
    select((select($a), $| = 1)[0]);
    print $a "BEGIN;\n$first;\n";
    # the first's write done, its transaction open
    for (1 .. 100) {
        last if psql_val($srv, 'finote', q{SELECT count(*) FROM pg_stat_activity
            WHERE state = 'idle in transaction' AND datname = 'finote'});
        select(undef, undef, undef, 0.1);
    }
    my $pid = fork // die;
    if (!$pid) { exec("$psql -c \"$second\" >'$tmp/second' 2>&1") or die }
    my $waiting = 0;
    for (1 .. 100) {
        $waiting = psql_val($srv, 'finote', q{SELECT count(*) FROM pg_stat_activity
            WHERE wait_event_type = 'Lock' AND datname = 'finote'});
        last if $waiting;
        select(undef, undef, undef, 0.1);
    }
    is($waiting, 1, 'the second writer waits for the first');
    print $a "COMMIT;\n";
    close $a;
    waitpid $pid, 0;
    return ($? >> 8, FinoteDb::slurp("$tmp/second"));
}

my $id = psql_val($srv, 'finote', "SELECT finote.note_create('$tok', 'shared', 'v1') ->> 'id'");
my ($rc, $out) = race($id,
    "SELECT finote.note_update('$tok', '$id', content => 'laptop text', if_version => 1)",
    "SELECT finote.note_update('$tok', '$id', content => 'phone text', if_version => 1)");
isnt($rc, 0, 'the second update fails');
like($out, qr/note has changed since version 1/, 'with PT412: its version is stale');
is(psql_val($srv, 'finote', "SELECT content || ' ' || version FROM finote.notes WHERE id = '$id'"),
    'laptop text 2', "the first writer's text stays, at version 2");
is(psql_val($srv, 'finote', "SELECT string_agg(content, ',') FROM finote.revisions WHERE note_id = '$id'"),
    'v1', 'and the text it replaced is its one revision');

# A delete from the same old version does not trash the newer text.
($rc, $out) = race($id,
    "SELECT finote.note_update('$tok', '$id', content => 'laptop again', if_version => 2)",
    "SELECT finote.note_delete('$tok', '$id', 2)");
isnt($rc, 0, 'the delete fails');
like($out, qr/note has changed since version 2/, 'with PT412');
is(psql_val($srv, 'finote', "SELECT count(*) FROM finote.notes WHERE id = '$id' AND content = 'laptop again'"),
    '1', 'the note stays in the list with the newer text');
is(psql_val($srv, 'finote', "SELECT count(*) FROM finote.trash"), '0', 'nothing in the trash');

# Without if_version the last write wins, as in 1.1 (old clients).
($rc, $out) = race($id,
    "SELECT finote.note_update('$tok', '$id', content => 'first')",
    "SELECT finote.note_update('$tok', '$id', content => 'second')");
is($rc, 0, 'without if_version the second update succeeds') or diag $out;
is(psql_val($srv, 'finote', "SELECT content || ' ' || version FROM finote.notes WHERE id = '$id'"),
    'second 5', 'last write wins, each a version');

done_testing();
