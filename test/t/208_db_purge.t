# bin/finote-db purge (1.2): finote.purge in a loop until nothing is left,
# for cron. Removes the notes in the trash past finote.trash_retention and
# the revisions past finote.revisions_max_age, of every user, and nothing
# younger; refuses a database older than 1.2, and a bad batch size.
use strict;
use warnings;
use lib 'test/lib';
use FinoteDb;
use Test::More;

my $srv = start_server('dbtool-208', free_port());
psql_ok($srv, 'postgres', "CREATE DATABASE finote TEMPLATE template0 ENCODING 'UTF8'") or die;
psql_ok($srv, 'postgres', "CREATE DATABASE old TEMPLATE template0 ENCODING 'UTF8'") or die;

my ($rc, $out, $err) = tool($srv, ['purge']);
isnt($rc, 0, 'purge without the extension fails');
like($err, qr/has no finote extension/, 'and says why');
($rc, $out, $err) = tool($srv, ['migrate']);
is($rc, 0, 'migrate') or diag $err;

# Two users; each deletes notes (some long ago) and edits one (some
# revisions old). The 40 old notes in the trash take 3 batches of 15.
psql_val($srv, 'finote', <<'SQL');
SET finote.revision_collapse = 0;
SELECT finote.register(u, u || ' password') FROM unnest(ARRAY['purge_a', 'purge_b']) u;
CREATE TABLE tok AS SELECT u, finote.login(u, u || ' password') ->> 'token' AS t
  FROM unnest(ARRAY['purge_a', 'purge_b']) u;
SELECT count(finote.note_delete(t, (finote.note_create(t, 'gone ' || i, 'x') ->> 'id')::uuid))
  FROM tok, generate_series(1, 25) i;
SELECT count(finote.note_update(t, n.id, content => 'edit ' || i))
  FROM tok JOIN finote.users us ON us.username = tok.u
  CROSS JOIN LATERAL (SELECT (finote.note_create(t, 'kept', 'v0') ->> 'id')::uuid AS id) n,
  generate_series(1, 6) i;
UPDATE finote.trash SET deleted_at = now() - interval '31 days' WHERE title ~ '^gone ([1-9]|1[0-9]|20)$';
UPDATE finote.revisions SET created_at = now() - interval '91 days' WHERE version <= 4;
SQL
my $count = sub { psql_val($srv, 'finote', "SELECT (SELECT count(*) FROM finote.trash) || ' ' || (SELECT count(*) FROM finote.revisions)") };
is($count->(), '50 12', '50 notes in the trash, 12 revisions');

# A password in DATABASE_URL is never printed.
my $url = FinoteDb::url_for($srv, 'finote');
$url =~ s{//postgres\@}{//postgres:Purge-Secret-9\@};
($rc, $out, $err) = tool($srv, ['purge', '15'], ENV => { DATABASE_URL => $url });
is($rc, 0, 'purge 15') or diag $err;
like($out, qr/purged .*: 48 expired rows .* in 5 transaction\(s\) of at most 15/,
    '40 notes and 8 revisions, in batches of 15, until one removed nothing');
unlike($out . $err, qr/Purge-Secret-9/, 'the password is not printed');
is($count->(), '10 4', 'the young ones stay: 10 notes in the trash, 4 revisions');
is(psql_val($srv, 'finote', q{SELECT string_agg(DISTINCT version::text, ',') FROM finote.revisions}), '5,6',
    'the revisions left are the young ones');

($rc, $out, $err) = tool($srv, ['purge']);
is($rc, 0, 'purge again');
like($out, qr/: 0 expired rows .* in 1 transaction/, 'nothing left: one call');

# The database's own settings apply: a shorter retention purges more.
psql_ok($srv, 'postgres', "ALTER DATABASE finote SET finote.trash_retention = 0") or die;
($rc, $out, $err) = tool($srv, ['purge']);
like($out, qr/: 10 expired rows/, 'ALTER DATABASE ... SET finote.trash_retention is obeyed');
is($count->(), '0 4', 'the trash is empty');

for my $bad ('0', 'abc', '100001', '-1') {
    ($rc, $out, $err) = tool($srv, ['purge', $bad]);
    isnt($rc, 0, "purge $bad fails");
    like($err, qr/MAX_ROWS must be a number from 1 to 100000/, "and says why ($bad)");
}
($rc, $out, $err) = tool($srv, ['purge', '1', '2']);
like($err, qr/usage: finote-db purge/, 'two arguments: usage');

# A database before 1.2 has nothing to purge, and is told so.
psql_ok($srv, 'old', "CREATE EXTENSION finote VERSION '1.1.3'") or die;
($rc, $out, $err) = tool($srv, ['purge'], DB => 'old');
isnt($rc, 0, 'purge at 1.1.3 fails');
like($err, qr/finote 1\.1\.3 has no trash nor history .* migrate first/, 'and says to migrate');

done_testing();
