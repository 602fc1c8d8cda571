# bin/finote-release check: the upgrade guarantees of issue 4 on the source tree,
# and each guarantee failing on a copy of sql/ that breaks it.
use strict;
use warnings;
use File::Glob qw(:bsd_glob);    # glob() keeps paths with spaces whole
use lib 'test/lib';
use FinoteDb;
use Test::More;

my $srv = start_server('dbtool-201', free_port());
my $control = FinoteDb::slurp("$ROOT/extension/finote.control");
my ($default) = $control =~ /^default_version = '([^']+)'/m;
my @full = sort map { m{finote--([^-]+)\.sql$} ? $1 : () } glob("$ROOT/sql/finote--*.sql");
my ($newest_full) = (sort { cmp_v($a, $b) } @full)[-1];
sub cmp_v { my @a = split /\./, $_[0]; my @b = split /\./, $_[1]; ($a[0] <=> $b[0]) || ($a[1] <=> $b[1]) }

# The tree itself: every guarantee holds (4 runs make installcheck here).
my ($rc, $out, $err) = release_tool($srv, ['check'], DB => 'postgres');
is($rc, 0, 'check passes on the source tree') or diag("$out\n$err");
like($out, qr/^check: ok$/m, 'and says so');
for my $g (0, 1, 5, 6) { like($out, qr/^\[$g\] /m, "guarantee $g ran") }
like($out, qr/^\[0\].*\n  ok: /m, 'the server has the tree\'s scripts');
# Every full script of the tree (finote--1.0.sql, finote--1.1.2.sql, ...) is
# what a fresh install of its version runs, and [3] holds it equal to the chain.
for my $v (@full) {
    like($out, qr/^  ok: \Q$v\E \(from finote--\Q$v\E\.sql\)$/m, "[1] fresh $v installs from its full script finote--$v.sql");
}
SKIP: {
    skip 'one version only: no upgrade yet', 5 if $default eq $newest_full && @full == 1;
    like($out, qr/^\[2\] .* -> \Q$default\E with user data/m, 'guarantee 2 ran');
    like($out, qr/every row of users, sessions and notes identical/, 'rows compared one by one');
    like($out, qr/^\[3\] fresh \Q$default\E == upgraded from .*\n  ok: identical/m, 'guarantee 3: identical schemas');
    # every older version's own pg_regress suite on the new library (make
    # test's pg_regress stage runs the default version's only)
    my %seen;
    my @olds = grep { $_ ne $default && !$seen{$_}++ }
        map { m{finote--(?:[^-]+--)?([^-]+)\.sql$} ? $1 : () } glob("$ROOT/sql/finote--*.sql");
    for my $v (sort { cmp_v($a, $b) } @olds) {
        like($out, qr/^\[4\] .* \Q$v\E database: make installcheck FINOTE_TEST_VERSION=\Q$v\E\n  ok: All [1-9]\d* tests passed/m,
            "guarantee 4: the $v suite passes on the new library");
    }
    like($out, qr/^\[7\] dump at .* ok/m, 'guarantee 7: dump, restore, migrate');
}
is(psql_val($srv, 'postgres', "SELECT coalesce(string_agg(datname, ' '), '') FROM pg_database WHERE datname LIKE 'finote\\_check\\_%'"), '',
   'the scratch databases are dropped');

# A server whose scripts are not the tree's: [0] says so.
my $copy = src_copy();
FinoteDb::spew("$srv->{extdir}/finote--0.1--1.0.sql", "-- stale\n");
($rc, $out) = release_tool($srv, ['check', '--only', '0'], DB => 'postgres');
isnt($rc, 0, 'a stale script on the server fails [0]');
like($out, qr/the server has finote--0\.1--1\.0\.sql, which the source tree does not/, 'and names it');
unlink "$srv->{extdir}/finote--0.1--1.0.sql";

# [5] Released scripts are immutable.
my $released = (split ' ', (split /\n/, FinoteDb::slurp("$ROOT/sql/SHA256SUMS"))[0])[1];
ok($released, "a released script is listed: $released");
open my $fh, '>>', "$copy/sql/$released" or die;
print $fh "-- an innocent-looking edit\n";
close $fh;
($rc, $out) = release_tool(undef, ['check', '--only', '5'], ENV => { FINOTE_SRC_DIR => $copy });
isnt($rc, 0, 'check fails when a released script changes');
like($out, qr/released script \Q$released\E has changed/, 'and names the script');
$copy = src_copy();
FinoteDb::spew("$copy/sql/finote--0.9--1.0.sql", "SELECT 1;\n");
($rc, $out) = release_tool(undef, ['check', '--only', '5'], ENV => { FINOTE_SRC_DIR => $copy });
isnt($rc, 0, 'a new script reaching a released version fails');
like($out, qr/finote--0\.9--1\.0\.sql reaches released version 1\.0 but is not listed/, 'with a clear message');
$copy = src_copy();
FinoteDb::spew("$copy/sql/finote--7.0.sql", "SELECT 1;\n");
($rc, $out) = release_tool(undef, ['check', '--only', '5'], ENV => { FINOTE_SRC_DIR => $copy });
isnt($rc, 0, 'an unlisted script of neither a released version nor the one in development fails');
like($out, qr/finote--7\.0\.sql is neither released/, 'and says so');
$copy = src_copy();
unlink "$copy/sql/$released";
($rc, $out) = release_tool(undef, ['check', '--only', '5'], ENV => { FINOTE_SRC_DIR => $copy });
isnt($rc, 0, 'a deleted released script fails');
like($out, qr/released script \Q$released\E is listed in SHA256SUMS but missing/, 'and names it');
$copy = src_copy();
unlink "$copy/sql/SHA256SUMS";
($rc, $out) = release_tool(undef, ['check', '--only', '5'], ENV => { FINOTE_SRC_DIR => $copy });
isnt($rc, 0, 'a missing manifest fails');
$copy = src_copy();
($rc, $out) = release_tool(undef, ['check', '--only', '5,6'], ENV => { FINOTE_SRC_DIR => $copy });
is($rc, 0, 'an untouched copy passes 5 and 6 without a server') or diag($out);

# [6] Destructive changes are refused, statement by statement, unless marked.
sub with_upgrade {
    my ($sql, %o) = @_;
    my $c = src_copy();
    my $to = $o{to} // '9.0';
    FinoteDb::spew("$c/sql/finote--$default--$to.sql",
        "-- test upgrade\n\\echo Use \"ALTER EXTENSION finote UPDATE\" to load this file. \\quit\n$sql\n");
    my $ctl = FinoteDb::slurp("$c/extension/finote.control");
    $ctl =~ s/^default_version = '[^']*'/default_version = '$to'/m;
    FinoteDb::spew("$c/extension/finote.control", $ctl);
    return $c;
}
my @destructive = (
    ['DROP TABLE finote.notes;', qr/DROP TABLE notes/],
    ['DROP TABLE IF EXISTS sessions CASCADE;', qr/DROP TABLE sessions/],
    ['DROP SCHEMA finote CASCADE;', qr/DROP SCHEMA finote/],
    ['ALTER TABLE notes DROP COLUMN content;', qr/DROP COLUMN notes\.content/],
    ['ALTER TABLE ONLY notes ADD COLUMN x int, DROP title;', qr/DROP COLUMN notes\.title/],
    ['ALTER TABLE notes ALTER COLUMN title TYPE varchar(50);', qr/ALTER COLUMN notes\.title TYPE/],
    ['ALTER TABLE users ALTER username SET DATA TYPE citext;', qr/ALTER COLUMN users\.username TYPE/],
    ['ALTER TABLE sessions ALTER COLUMN created_at SET NOT NULL;', qr/SET NOT NULL/],
    ['TRUNCATE finote.sessions;', qr/TRUNCATE/],
    ['DELETE FROM finote.sessions WHERE expires_at < now();', qr/DELETE FROM sessions/],
    ['ALTER TABLE notes RENAME COLUMN content TO body;', qr/RENAME COLUMN/],
    ['ALTER TABLE notes RENAME TO notes_old;', qr/RENAME TO/],
    ['ALTER TABLE notes ADD COLUMN owner_email text NOT NULL;', qr/NOT NULL without DEFAULT/],
    ['ALTER EXTENSION finote DROP TABLE finote.sessions;', qr/ALTER EXTENSION \.\.\. DROP/],
    [q{SELECT pg_catalog.pg_extension_config_dump('notes', 'WHERE updated_at > now() - interval ''1 year''');}, qr/dumps only part/],
    ['DROP FUNCTION finote._tags(text[]) CASCADE;', qr/CASCADE/],
    [q{DO $$ BEGIN EXECUTE 'DROP TABLE finote.notes'; END $$;}, qr/DO block containing DROP TABLE/],
    ["/* a comment; */ DELETE\n  FROM notes; -- two lines", qr/DELETE FROM notes/],
);
for my $case (@destructive) {
    my ($sql, $re) = @$case;
    my $c = with_upgrade($sql);
    ($rc, $out) = release_tool(undef, ['check', '--only', '6'], ENV => { FINOTE_SRC_DIR => $c });
    (my $name = $sql) =~ s/\s+/ /g;
    isnt($rc, 0, "refused: $name");
    like($out, qr/REFUSED finote--\Q$default\E--9\.0\.sql:\d+: .*$re/, '  with the statement and its line');
}
my $additive = <<'SQL';
ALTER TABLE notes ADD COLUMN color text, ADD COLUMN archived boolean NOT NULL DEFAULT false;
ALTER TABLE notes ALTER COLUMN color SET DEFAULT 'yellow', ALTER COLUMN color SET NOT NULL;
ALTER TABLE notes DROP CONSTRAINT IF EXISTS notes_nothing, ALTER COLUMN title DROP DEFAULT;
CREATE TABLE shares (note_id uuid, with_user uuid);
ALTER TABLE shares ADD COLUMN tmp int;
ALTER TABLE shares DROP COLUMN tmp;
CREATE TEMP TABLE staging (x int);
DELETE FROM staging;
DROP TABLE staging;
SELECT pg_catalog.pg_extension_config_dump('shares', '');
CREATE INDEX notes_color_idx ON notes (user_id, color);
DROP INDEX notes_color_idx;
DROP FUNCTION IF EXISTS note_tags(text);
CREATE OR REPLACE FUNCTION _x() RETURNS int LANGUAGE sql AS $$ SELECT 1 FROM finote.notes WHERE false $$;
CREATE FUNCTION _cleanup() RETURNS void LANGUAGE sql AS $$ DELETE FROM finote.sessions WHERE expires_at < now() $$;
UPDATE notes SET color = 'blue' WHERE title = 'DROP TABLE notes';
COMMENT ON TABLE notes IS 'TRUNCATE is just a word here';
SQL
my $c = with_upgrade($additive);
($rc, $out) = release_tool(undef, ['check', '--only', '6'], ENV => { FINOTE_SRC_DIR => $c });
is($rc, 0, 'additive changes pass [6]') or diag($out);
$c = with_upgrade("-- finote: destructive: drops notes.content ; data migration: OPERATIONS.md#destructive-changes\nALTER TABLE notes DROP COLUMN content;");
($rc, $out) = release_tool(undef, ['check', '--only', '6'], ENV => { FINOTE_SRC_DIR => $c });
is($rc, 0, 'a destructive change with the marker passes [6]') or diag($out);
like($out, qr/DROP COLUMN notes\.content .*\(allowed by the marker\)/, 'listed as allowed by the marker');
like($out, qr/marker finote--.*: drops notes\.content ; data migration: OPERATIONS\.md#destructive-changes/, 'the marker is shown');
$c = with_upgrade("-- finote: destructive: drops notes.content\nALTER TABLE notes DROP COLUMN content;");
($rc, $out) = release_tool(undef, ['check', '--only', '6'], ENV => { FINOTE_SRC_DIR => $c });
isnt($rc, 0, 'a marker without a data migration is refused');
like($out, qr/needs '; data migration: <where documented>'/, 'and says what is missing');

# [6] dynamic: a column lost in a way the static analysis cannot see.
$c = with_upgrade(q{DO $$ BEGIN EXECUTE 'ALTER TABLE finote.notes ' || 'DR' || 'OP COLUMN content'; END $$;});
FinoteDb::reinstall_scripts($srv, $c);
($rc, $out) = release_tool($srv, ['check', '--only', '2,6'], DB => 'postgres', ENV => { FINOTE_SRC_DIR => $c });
isnt($rc, 0, 'a column lost in the upgrade fails the check');
like($out, qr/column notes\.content \(text\) is gone/, 'the lost column is named');
like($out, qr/FAIL \[6\] upgrade .* loses or retypes old columns or dump registrations without a destructive marker/, 'as a destructive change');
$c = with_upgrade(q{DO $$ BEGIN EXECUTE 'ALTER TABLE finote.notes ALTER title ' || 'TY' || 'PE varchar(300)'; END $$;});
FinoteDb::reinstall_scripts($srv, $c);
($rc, $out) = release_tool($srv, ['check', '--only', '2,6'], DB => 'postgres', ENV => { FINOTE_SRC_DIR => $c });
isnt($rc, 0, 'a retyped column fails the check');
like($out, qr/column notes\.title changed type text -> character_varying\(300\)/, 'the retyped column is named');

$c = with_upgrade(q{DO $$ BEGIN PERFORM pg_catalog.pg_extension_config_dump('finote.sessions', 'WHERE ' || 'false'); END $$;});
FinoteDb::reinstall_scripts($srv, $c);
($rc, $out) = release_tool($srv, ['check', '--only', '2,6'], DB => 'postgres', ENV => { FINOTE_SRC_DIR => $c });
isnt($rc, 0, 'a dump registration narrowed in the upgrade fails the check');
like($out, qr/pg_extension_config_dump of finote\.sessions \(condition ''\) is gone or changed/, 'the table is named');

# [2] the data is compared row by row, not counted.
$c = with_upgrade(q{UPDATE notes SET title = title || '.' WHERE title <> '' AND char_length(title) < 200;});
FinoteDb::reinstall_scripts($srv, $c);
($rc, $out) = release_tool($srv, ['check', '--only', '2'], DB => 'postgres', ENV => { FINOTE_SRC_DIR => $c });
isnt($rc, 0, 'an upgrade that changes values (same row count) fails [2]');
like($out, qr/FAIL \[2\] user data changed in the upgrade/, 'as changed user data');
like($out, qr/^    -notes .*\n(    .*\n)*    \+notes /m, 'with a diff of the rows');

# [3] a fresh install and an upgraded one that differ: a unified diff.
SKIP: {
    skip 'needs two versions', 6 if $default eq '1.0';
    my ($from) = grep { $_ ne $default } @full;
    # the upgrade chain from $from to $default, one hop after the other
    my ($up, $at) = ('', $from);
    while ($at ne $default) {
        my ($hop) = glob("$ROOT/sql/finote--$at--*.sql") or die "no upgrade from $at";
        $up .= FinoteDb::slurp($hop) . "\n";
        ($at) = $hop =~ /--\Q$at\E--(.+)\.sql$/;
    }
    my $base = FinoteDb::slurp("$ROOT/sql/finote--$from.sql");
    s/^\\echo .*\n//mg for $up, $base;
    $c = src_copy();
    FinoteDb::spew("$c/sql/finote--$default.sql", "$base\n$up");
    FinoteDb::reinstall_scripts($srv, $c);
    ($rc, $out) = release_tool($srv, ['check', '--only', '1,3'], DB => 'postgres', ENV => { FINOTE_SRC_DIR => $c });
    is($rc, 0, "a full $default script made of $from plus the upgrade is identical to the upgraded one") or diag($out);
    like($out, qr/ok: \Q$default\E \(from finote--\Q$default\E\.sql\)/, "fresh $default installs from its full script");
    (my $drift = "$base\n$up") =~ s/CREATE INDEX (\w+) ON notes \(user_id, pinned DESC/CREATE INDEX $1 ON notes (user_id, pinned/;
    $drift .= "\nGRANT SELECT ON notes TO finote_api;\nALTER TABLE users ADD COLUMN nickname text;\n";
    FinoteDb::spew("$c/sql/finote--$default.sql", $drift);
    FinoteDb::reinstall_scripts($srv, $c);
    ($rc, $out) = release_tool($srv, ['check', '--only', '1,3'], DB => 'postgres', ENV => { FINOTE_SRC_DIR => $c });
    isnt($rc, 0, 'a full script that drifted from the upgrade fails [3]');
    like($out, qr/^    --- fresh install of \Q$default\E\n    \+\+\+ upgraded from /m, 'a unified diff is printed');
    like($out, qr/^    -column finote\.users\.nickname type=text/m, 'the extra column shows');
    like($out, qr/^    -relation finote\.notes kind=r owner=postgres acl=\{.*finote_api=r/m, 'the table ACL shows');
}
FinoteDb::reinstall_scripts($srv, $ROOT);

# One version only (the state before a first upgrade): nothing to upgrade,
# and check says so instead of failing.
$c = src_copy();
unlink grep { !m{/finote--1\.0\.sql$} } glob("$c/sql/finote--*.sql");
{
    my $ctl1 = FinoteDb::slurp("$c/extension/finote.control");
    $ctl1 =~ s/^default_version = '[^']*'/default_version = '1.0'/m;
    FinoteDb::spew("$c/extension/finote.control", $ctl1);
    # and only 1.0 released
    my @sums = grep { /  finote--1\.0\.sql$/ } split /\n/, FinoteDb::slurp("$c/sql/SHA256SUMS");
    FinoteDb::spew("$c/sql/SHA256SUMS", join('', map { "$_\n" } @sums));
}
FinoteDb::reinstall_scripts($srv, $c);
($rc, $out) = release_tool($srv, ['check', '--skip', '4'], DB => 'postgres', ENV => { FINOTE_SRC_DIR => $c });
is($rc, 0, 'check passes with a single version') or diag($out);
like($out, qr/^\[6\] .*\n  ok: no upgrade script yet \(one version\)/m, '[6] has nothing to look at');
like($out, qr/^\[2\] only one version \(1\.0\): no upgrade to check yet$/m, '[2] says there is no upgrade yet');
like($out, qr/^\[3\] only one version/m, '[3] too');
FinoteDb::reinstall_scripts($srv, $ROOT);

# Usage errors.
($rc, $out, $err) = release_tool($srv, ['check', '--bogus'], DB => 'postgres');
isnt($rc, 0, 'an unknown option fails');
like($err, qr/usage: finote-release check/, 'with the usage');
psql_ok($srv, 'postgres', "CREATE ROLE plain LOGIN") or die;
($rc, $out, $err) = release_tool($srv, ['check', '--only', '1'], ENV => { DATABASE_URL => url_for($srv, 'postgres', 'plain') });
isnt($rc, 0, 'check without a superuser fails');
like($err, qr/check needs a superuser DATABASE_URL/, 'and says why');

done_testing();
