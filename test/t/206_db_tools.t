# The operator's and the release engineer's tools as files: every script of
# the repository passes shellcheck or perl -c; url.pl and destructive.pl on
# their own; the operator's tool installed away from the source tree (as the
# db image does) finds its support files. No server needed.
use strict;
use warnings;
use lib 'test/lib';
use FinoteDb;
use File::Copy qw(copy);
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use Test::More;

my $lib = "$ROOT/bin/lib";

# Every script of the repository by its first line (so that a new one is
# gated without editing this list): shell to shellcheck, Perl to perl -c.
my (@shell, @perl);
my @todo = ($ROOT);
while (defined(my $d = shift @todo)) {
    opendir my $dh, $d or die "$d: $!";
    for my $n (sort grep { !/^\.\.?$/ } readdir $dh) {
        my $f = "$d/$n";
        next if $n =~ /^(\.git|\.finote|node_modules|out)$/;
        if (-d $f && !-l $f) { push @todo, $f; next }
        next unless -f $f;
        (my $rel = $f) =~ s{^\Q$ROOT\E/}{};
        if ($n =~ /\.(pl|pm|t)$/) { push @perl, $f; next }
        open my $fh, '<', $f or next;
        my $first = <$fh> // '';
        if ($first =~ m{^#!.*\b(ba)?sh\b} || $first =~ /^# shellcheck shell=/) { push @shell, $f }
        elsif ($first =~ m{^#!.*\bperl\b}) { push @perl, $f }
    }
}
ok((grep { m{/bin/finote-db$} } @shell) && (grep { m{/bin/lib/common\.sh$} } @shell), 'the tools and their shell library are found');
ok((grep { m{/bin/lib/url\.pl$} } @perl) && (grep { m{/bin/lib/destructive\.pl$} } @perl), 'and their Perl');

SKIP: {
    my $sc = `command -v shellcheck 2>/dev/null`;
    chomp $sc;
    skip 'shellcheck not installed (test/bin/deps installs it)', 1 unless $sc;
    my $out = `cd '$ROOT/bin' && '$sc' -x @shell 2>&1`;
    is($?, 0, 'shellcheck: ' . scalar(@shell) . ' shell scripts') or diag $out;
}
for my $f (@perl) {
    my $out = `perl -I'$ROOT/test/lib' -c '$f' 2>&1`;
    (my $rel = $f) =~ s{^\Q$ROOT\E/}{};
    is($?, 0, "perl -c $rel") or diag $out;
}

# url.pl: the password never in what goes to argv or a message.
sub url_pl { my $out = `perl '$lib/url.pl' @_ 2>&1`; return ($? >> 8, $out) }
my $u = q{'postgresql://ops:s%40cret@db.example:5433/fi%20note?sslmode=require&password=x'};
my ($rc, $out) = url_pl('mask', $u);
is($out, 'postgresql://ops:***@db.example:5433/fi%20note?sslmode=require&password=***', 'mask hides both passwords');
($rc, $out) = url_pl('nopass', $u);
is($out, 'postgresql://ops@db.example:5433/fi%20note?sslmode=require', 'nopass drops them');
($rc, $out) = url_pl('pass', $u);
is($out, 's@cret', 'pass decodes the password');
($rc, $out) = url_pl('withdb', $u, q{'scratch db/1'});
is($out, 'postgresql://ops@db.example:5433/scratch%20db%2F1?sslmode=require', 'withdb percent-encodes the name');
($rc, $out) = url_pl('env', $u);
like($out, qr/^export PGHOST='db\.example'$/m, 'env: PGHOST');
like($out, qr/^export PGSSLMODE='require'$/m, 'env: PGSSLMODE');
unlike($out, qr/s\@cret|PGPASSWORD/, 'env: no password');
($rc, $out) = url_pl('mask', 'postgresql://');
is($out, "postgresql:// (libpq's PG* variables)", 'an empty URL says where its parts come from');
($rc, $out) = url_pl('mask', q{'mysql://x@y/z'});
is($rc, 2, 'a URL that is not postgresql:// is refused');
($rc, $out) = url_pl('bogus', $u);
isnt($rc, 0, 'an unknown mode is refused');

# destructive.pl: the lexer sees statements, not comments or strings.
my $d = tempdir(CLEANUP => 1);
spew("$d/finote--1--2.sql", "-- DROP TABLE notes; in a comment\nSELECT 'DROP TABLE notes;';\n"
    . "CREATE TABLE t (a int);\nDROP TABLE t;\nALTER TABLE notes ADD COLUMN x int;\n");
($rc, $out) = (system("perl '$lib/destructive.pl' '$d/finote--1--2.sql' >'$d/out' 2>&1") >> 8, slurp("$d/out"));
is($rc, 0, 'destructive.pl: comments, strings and a table of the same script pass') or diag $out;
spew("$d/finote--2--3.sql", "ALTER TABLE notes DROP COLUMN body;\n");
($rc, $out) = (system("perl '$lib/destructive.pl' '$d/finote--2--3.sql' >'$d/out' 2>&1") >> 8, slurp("$d/out"));
is($rc, 1, 'destructive.pl: DROP COLUMN without a marker is refused');
like($out, qr/REFUSED finote--2--3\.sql:1: DROP COLUMN notes\.body/, 'and names the statement and its line');
spew("$d/finote--2--3.sql", "-- finote: destructive: notes.body ; data migration: OPERATIONS.md\nALTER TABLE notes DROP COLUMN body;\n");
($rc, $out) = (system("perl '$lib/destructive.pl' '$d/finote--2--3.sql' >'$d/out' 2>&1") >> 8, slurp("$d/out"));
is($rc, 0, 'destructive.pl: with a marker it is allowed') or diag $out;

# The operator's tool installed as the db image installs it:
# PREFIX/bin/finote-db and PREFIX/share/finote-db/.
my $prefix = tempdir(CLEANUP => 1);
make_path("$prefix/bin", "$prefix/share/finote-db");
copy("$ROOT/bin/finote-db", "$prefix/bin/finote-db") or die;
chmod 0755, "$prefix/bin/finote-db";
copy($_, "$prefix/share/finote-db/") or die for glob("$lib/*");
($rc, $out, my $err) = tool(undef, ['help'], TOOL => "$prefix/bin/finote-db");
is($rc, 0, 'installed finote-db runs from PREFIX/bin with PREFIX/share/finote-db') or diag $err;
like($out, qr/^finote-db: the operator's tool/, 'and prints its usage');
($rc, $out, $err) = tool(undef, ['status'], TOOL => "$prefix/bin/finote-db");
like($err, qr/DATABASE_URL is not set/, 'and reaches its commands (common.sh loaded)');
($rc, $out, $err) = tool(undef, ['check'], TOOL => "$prefix/bin/finote-db");
isnt($rc, 0, 'check is not the operator tool\'s command');
like($err, qr/finote-release check/, 'it names the release tool');

done_testing();
