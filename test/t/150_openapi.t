# The OpenAPI document and the route table are held to each other: every
# row is an operation with the row's success status, and nothing else is.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use JSON::PP;
use Test::More;

my $file = slurp("$ROOT/shim/openapi.json");
my $doc = JSON::PP->new->utf8->decode($file);
is($doc->{openapi}, '3.1.0', 'OpenAPI 3.1');

my $bin = $ENV{FINOTE_SHIM_BIN} || 'shim/finote-shim';
$bin = "$ROOT/$bin" unless $bin =~ m{^/};
my @lines = `'$bin' --routes`;
is($?, 0, 'finote-shim --routes');
chomp @lines;
ok(@lines >= 14, 'the route table has its rows');
# a path may have a row per extension version: one operation, first version
my (%since, @rows);
for (@lines) {
    my ($m, $p, $st, $v) = split / /;
    push @rows, "$m $p $st" unless exists $since{"$m $p $st"};
    $since{"$m $p $st"} = $v if !exists $since{"$m $p $st"} || $v lt $since{"$m $p $st"};
}
is(scalar(keys %since), scalar(@rows), 'the rows of one method and path share one success status');

my @ops;
for my $path (sort keys %{ $doc->{paths} }) {
    for my $method (sort grep { /^(get|put|post|patch|delete|head|options)$/ } keys %{ $doc->{paths}{$path} }) {
        my $op = $doc->{paths}{$path}{$method};
        my @ok = grep { /^2\d\d$/ } keys %{ $op->{responses} };
        is(scalar @ok, 1, "$method $path: one success status");
        push @ops, uc($method) . " $path $ok[0]";
        is($op->{'x-finote-since'} // '1.0', $since{ uc($method) . " $path $ok[0]" } // 'none',
            "$method $path: x-finote-since is the first version of its rows");
        ok($op->{operationId}, "$method $path: operationId");
        ok(exists $op->{security}, "$method $path: security stated");
    }
}
is_deeply([sort @ops], [sort @rows], 'OpenAPI operations == route table rows (method, path, success status)');

# every $ref resolves
my @refs;
my $walk;
$walk = sub {
    my ($n) = @_;
    if (ref $n eq 'HASH') { push @refs, $n->{'$ref'} if $n->{'$ref'}; $walk->($_) for values %$n }
    elsif (ref $n eq 'ARRAY') { $walk->($_) for @$n }
};
$walk->($doc);
for my $ref (@refs) {
    my $node = $doc;
    $node = $node->{$_} for grep { length && $_ ne '#' } split m{/}, $ref;
    ok(defined $node, "\$ref $ref resolves");
}

# the error statuses the contract names are documented where they can occur
my %needs = ('POST /api/auth/register' => [400, 409, 413, 415, 503], 'POST /api/auth/login' => [401, 429],
    'GET /api/notes/{id}' => [401, 404], 'GET /readyz' => [503], 'GET /api/export' => [401, 429, 503, 507]);
for my $op (sort keys %needs) {
    my ($m, $p) = split / /, $op;
    my $responses = $doc->{paths}{$p}{ lc $m }{responses};
    ok(exists $responses->{$_}, "$op documents $_") for @{ $needs{$op} };
}

# served as is at /api/openapi.json
my $shim = start_shim(PORT => free_port(), DATABASE_URL => 'postgresql://x@127.0.0.1:1/none', SESSION_SECRET => 'o' x 32);
my $r = api($shim, 'GET', '/api/openapi.json');
is($r->{status}, 200, '/api/openapi.json: 200');
is($r->{headers}{'content-type'}, 'application/json; charset=utf-8', '/api/openapi.json: JSON');
ok($r->{content} eq $file, '/api/openapi.json is shim/openapi.json, byte for byte');
stop_shim($shim);
done_testing();
