# bin/finote-db seed and reset: demo data through the SQL API; a reset that
# refuses in production without the flag, asks on a terminal only, and
# otherwise needs --yes.
use strict;
use warnings;
use lib 'test/lib';
use FinoteDb;
use Test::More;

my $srv = start_server('dbtool-203', free_port());
psql_ok($srv, 'postgres', 'CREATE DATABASE finote') or BAIL_OUT('createdb');
my $default = psql_val($srv, 'postgres', "SELECT default_version FROM pg_available_extensions WHERE name = 'finote'");

my ($rc, $out, $err) = tool($srv, ['seed']);
isnt($rc, 0, 'seed without the extension fails');
like($err, qr/no finote extension: run finote-db migrate first/, 'and says what to do');
tool($srv, ['migrate']);

($rc, $out, $err) = tool($srv, ['seed']);
is($rc, 0, 'seed') or diag($err);
my %pw = $out =~ /created demo user (\w+) \(password: (\S+)\) with \d+ notes/g;
is(scalar(keys %pw), 3, 'three demo users, their passwords printed');
is(psql_val($srv, 'finote', 'SELECT count(*) FROM finote.users'), '3', 'three users');
my $notes = psql_val($srv, 'finote', 'SELECT count(*) FROM finote.notes');
cmp_ok($notes, '>=', 24, "a few dozen notes ($notes)");
is(psql_val($srv, 'finote', 'SELECT count(DISTINCT title) FROM finote.notes'), $notes, 'with varied titles');
cmp_ok(psql_val($srv, 'finote', 'SELECT max(char_length(content)) FROM finote.notes'), '>', 1000, 'and some long content');
is(psql_val($srv, 'finote', 'SELECT count(*) FROM finote.sessions'), '0', 'seed leaves no session behind');
for my $u (sort keys %pw) {
    my $tok = psql_val($srv, 'finote', "SELECT finote.login('$u', '$pw{$u}') ->> 'token'");
    cmp_ok(psql_val($srv, 'finote', "SELECT jsonb_array_length(finote.note_list('$tok', lim => 100) -> 'notes')"), '>=', 8,
           "$u logs in with the printed password and has notes");
}
my $tok = psql_val($srv, 'finote', "SELECT finote.login('ayu', '$pw{ayu}') ->> 'token'");
is(psql_val($srv, 'finote', "SELECT jsonb_array_length(finote.note_list('$tok', q => 'bawang') -> 'notes')"), '2', 'searchable content');
if ($default ne '1.0') {
    is(psql_val($srv, 'finote', "SELECT finote.note_list('$tok') -> 'notes' -> 0 ->> 'pinned'"), 'true', 'pinned notes come first');
    cmp_ok(psql_val($srv, 'finote', "SELECT jsonb_array_length(finote.note_tags('$tok') -> 'tags')"), '>=', 5, 'and tags exist');
}
($rc, $out, $err) = tool($srv, ['seed']);
is($rc, 0, 'seed again');
like($out, qr/demo user ayu exists already; left as it is/, 'skips existing demo users');
is(psql_val($srv, 'finote', 'SELECT count(*) FROM finote.notes'), $notes, 'and adds nothing twice');
($rc, $out, $err) = tool($srv, ['seed'], ENV => { NODE_ENV => 'production' });
isnt($rc, 0, 'seed refuses in production');
like($err, qr/refusing to seed demo accounts .* production/, 'and says why');

# reset
my $count = sub { psql_val($srv, 'finote', 'SELECT count(*) FROM finote.notes') };
($rc, $out, $err) = tool($srv, ['reset']);
isnt($rc, 0, 'reset without --yes and without a terminal is refused');
like($err, qr/refusing to reset .* without --yes \(stdin is not a terminal; it holds 3 users, \d+ sessions, \d+ notes\)/, 'with what is at stake');
is($count->(), $notes, 'nothing changed');
($rc, $out, $err) = tool($srv, ['reset', '--yes'], ENV => { NODE_ENV => 'production' });
isnt($rc, 0, 'reset --yes in production is refused');
like($err, qr/refusing to reset: NODE_ENV=production.*--destroy-all-data/, 'naming the flag it needs');
is($count->(), $notes, 'nothing changed');
($rc, $out, $err) = tool($srv, ['reset', '--force']);
like($err, qr/usage: finote-db reset/, 'an unknown flag is refused');

# On a terminal it asks for the database name (util-linux script gives a tty).
my $script = '/usr/bin/script';
SKIP: {
    skip 'no util-linux script', 4 unless -x $script;
    my $cmd = "DATABASE_URL='" . url_for($srv, 'finote') . "' PG_CONFIG='$srv->{pg_config}' '$TOOL' reset";
    my $o = `printf 'wrong\\n' | $script -qec "$cmd" /dev/null 2>&1`;
    like($o, qr/Type the database name \(finote\) to confirm/, 'on a terminal, reset asks');
    like($o, qr/not confirmed; nothing changed/, 'a wrong answer changes nothing');
    is($count->(), $notes, 'the data is still there');
    $o = `printf 'finote\\n' | $script -qec "$cmd" /dev/null 2>&1`;
    like($o, qr/reset .*: dropped finote/, 'the right answer resets');
    tool($srv, ['seed']);
}

($rc, $out, $err) = tool($srv, ['reset', '--yes']);
is($rc, 0, 'reset --yes') or diag($err);
like($out, qr/dropped finote \Q$default\E with 3 users, \d+ sessions, \d+ notes; created finote \Q$default\E, empty/, 'says what it dropped and created');
is($count->(), '0', 'the data is gone');
is(psql_val($srv, 'finote', "SELECT extversion FROM pg_extension WHERE extname = 'finote'"), $default, 'the extension is back at the default version');
tool($srv, ['seed']);
($rc, $out, $err) = tool($srv, ['reset', '--yes', '--destroy-all-data'], ENV => { NODE_ENV => 'production' });
is($rc, 0, 'in production, --destroy-all-data --yes resets') or diag($err);
is($count->(), '0', 'the data is gone');
($rc, $out, $err) = tool($srv, ['reset', '--destroy-all-data'], ENV => { NODE_ENV => 'production' });
isnt($rc, 0, 'the production flag still needs --yes without a terminal');

done_testing();
