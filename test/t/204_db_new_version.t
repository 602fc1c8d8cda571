# bin/finote-release new-version and release, on a copy of the source tree.
use strict;
use warnings;
use File::Glob qw(:bsd_glob);    # glob() keeps paths with spaces whole
use lib 'test/lib';
use FinoteDb;
use Test::More;

my $c = src_copy();
my $ctl = sub { FinoteDb::slurp("$c/extension/finote.control") =~ /^default_version = '([^']+)'/m ? $1 : '' };
my $cur = $ctl->();
my ($maj, $min) = split /\./, $cur;
my $next = "$maj." . ($min + 1);
my %env = (FINOTE_SRC_DIR => $c);
my $sums = sub { FinoteDb::slurp("$c/sql/SHA256SUMS") };

my ($rc, $out, $err) = release_tool(undef, ['new-version', '0.1', $next], ENV => \%env);
isnt($rc, 0, 'new-version from a version that is not the current one is refused');
like($err, qr/default_version .* is \Q$cur\E, not 0\.1/, 'and says which is current');
($rc, $out, $err) = release_tool(undef, ['new-version', $cur, "$cur--x"], ENV => \%env);
isnt($rc, 0, 'a malformed version is refused');
($rc, $out, $err) = release_tool(undef, ['new-version', $cur, '0.5'], ENV => \%env);
isnt($rc, 0, 'a version that sorts before the current one is refused');
($rc, $out, $err) = release_tool(undef, ['new-version', $cur], ENV => \%env);
like($err, qr/usage: finote-release new-version A B/, 'new-version needs two versions');

my @before = glob("$c/sql/finote--*.sql");
($rc, $out, $err) = release_tool(undef, ['new-version', $cur, $next], ENV => \%env);
is($rc, 0, "new-version $cur $next") or diag($err);
ok(-f "$c/sql/finote--$cur--$next.sql", 'scaffolds the upgrade script');
my $up = FinoteDb::slurp("$c/sql/finote--$cur--$next.sql");
like($up, qr/^-- finote \Q$cur\E -> \Q$next\E:/, 'with a header comment');
like($up, qr/^\\echo Use "ALTER EXTENSION finote UPDATE TO '\Q$next\E'" to load this file\. \\quit$/m, 'and the \\echo guard');
is(scalar(() = $up =~ /^--/mg), 1, 'one comment line, to say what the hop does: the rules are not stamped into it');
like(FinoteDb::slurp("$ROOT/OPERATIONS.md"), qr/^### Changing the schema: writing an upgrade script\n(?:.*\n)*?.*finote: destructive: <what> ; data migration:/m,
    'the rules, with the destructive marker, are in OPERATIONS.md');
like($out, qr/OPERATIONS\.md, "Changing the\s+schema"/, 'and new-version points there');
ok(!-e "$c/sql/finote--$next.sql", 'no full script for the new version: it is a hop until released');
is($ctl->(), $next, "default_version bumped to $next");
like($out, qr/bumped default_version in extension\/finote\.control: \Q$cur\E -> \Q$next\E/, 'and says so');
like($out, qr/REGRESS_\Q$next\E = \$\(REGRESS_\Q$cur\E\)/, 'reminds the Makefile suite');
like($out, qr/bin\/finote-release check/, 'and the check');
for my $f (map { s{.*/}{}r } grep { m{finote--(?:[^-]+--)?\Q$cur\E\.sql$} } @before) {
    like($sums->(), qr/^[0-9a-f]{64}  \Q$f\E$/m, "$f is released (in SHA256SUMS)");
}
like($out, qr/(?:released finote--.*\Q$cur\E\.sql: recorded its sha256|finote--.*\Q$cur\E\.sql is released already \(checksum unchanged\))/, 'says what it released (or that it was already)');
($rc, $out) = release_tool(undef, ['check', '--only', '5,6'], ENV => \%env);
is($rc, 0, 'the scaffolded tree passes checks 5 and 6') or diag($out);
like($out, qr/released \(SHA256SUMS\): .*\Q$cur\E/, "$cur counts as released");

($rc, $out, $err) = release_tool(undef, ['new-version', $cur, $next], ENV => \%env);
isnt($rc, 0, 'new-version twice is refused');

# The released scripts of the old current version are now immutable.
my ($f) = map { s{.*/}{}r } grep { m{finote--(?:[^-]+--)?\Q$cur\E\.sql$} } @before;
open my $fh, '>>', "$c/sql/$f" or die;
print $fh "-- late fix\n";
close $fh;
($rc, $out) = release_tool(undef, ['check', '--only', '5'], ENV => \%env);
isnt($rc, 0, "changing $f after the release fails the check");
($rc, $out, $err) = release_tool(undef, ['release', $cur], ENV => \%env);
isnt($rc, 0, 'release refuses to record a changed released script');
like($err, qr/released already and has changed since/, 'and says so');

# release is idempotent.
$c = src_copy();
%env = (FINOTE_SRC_DIR => $c);
my $s0 = $sums->();
($rc, $out, $err) = release_tool(undef, ['release', '1.0'], ENV => \%env);
is($rc, 0, 'release of a released version');
like($out, qr/finote--1\.0\.sql is released already \(checksum unchanged\)/, 'changes nothing');
is($sums->(), $s0, 'the manifest is unchanged');
($rc, $out, $err) = release_tool(undef, ['release', '4.2'], ENV => \%env);
isnt($rc, 0, 'release of a version without scripts fails');

done_testing();
