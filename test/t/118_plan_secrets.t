# Issue 20, finding 8: no password in a plan. Every route statement that
# takes a password (register, login, password change, account delete) is
# prepared as the shim prepares it (eleven text parameters) on a connection
# with the shim's own server options (`finote-shim --db-options`), and
# EXPLAIN (VERBOSE) EXECUTE of it, past the plan cache's first five custom
# plans, shows no byte of the password in the body. The same with custom
# plans forced (what the shim's options and the role's settings, from
# finote-db app-role, both rule out) shows the password: the test can fail.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use Test::More;

my $pg_port = free_port();
my ($dir) = start_cluster('t118', $pg_port);
my $version = psql($pg_port, 'finote', q{SELECT extversion FROM pg_extension WHERE extname = 'finote'});
my $bin = FinoteTest::shim_bin();
my $options = `env -u PGOPTIONS DATABASE_URL= '$bin' --db-options`;
chomp $options;
like($options, qr/plan_cache_mode=force_generic_plan/, "the shim's options: $options");

# The row each (method, path) uses at this database's version.
sub vnum { my @p = (split(/\./, $_[0]), 0, 0); return $p[0] * 10000 + $p[1] * 100 + $p[2] }
my %row;
for (split /\n/, `'$bin' --routes-sql`) {
    my ($head, $sql) = split /\t/, $_, 2;
    my ($method, $path, $since) = split / /, $head;
    next if vnum($since) > vnum($version) || $sql !~ /password/;
    my $cur = $row{"$method $path"};
    $row{"$method $path"} = { sql => $sql, since => $since } if !$cur || vnum($since) > vnum($cur->{since});
}
is_deeply([sort keys %row],
    [sort('POST /api/auth/register', 'POST /api/auth/login', 'PUT /api/auth/password', 'DELETE /api/auth/me')],
    "the statements with a password at $version");

# EXPLAIN (VERBOSE) EXECUTE, seven times, as finote_app with these options.
sub plans {
    my ($route, $pgoptions) = @_;
    my $pw = 'PLAN-SECRET-PW';
    my $body = qq{{"username": "alice", "password": "$pw", "current_password": "$pw", "new_password": "$pw-NEW"}};
    (my $lit = $body) =~ s/'/''/g;
    my $types = join ',', ('text') x 11;
    my $exec = "EXPLAIN (VERBOSE) EXECUTE s('a-token', '$lit', NULL, NULL, NULL, NULL, NULL, '127.0.0.1', NULL, NULL, NULL);\n";
    my $script = "PREPARE s($types) AS $row{$route}{sql};\n" . ($exec x 7);
    my $bindir = `pg_config --bindir`;
    chomp $bindir;
    local $ENV{PGOPTIONS} = $pgoptions;
    open my $fh, '-|', "$bindir/psql", '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1',
      '-p', $pg_port, '-U', 'finote_app', '-d', 'finote', '-c', $script or die "psql: $!";
    local $/;
    my $out = <$fh> // '';
    close $fh;
    return $out;
}
for my $route (sort keys %row) {
    my $out = plans($route, $options);
    like($out, qr/finote\./, "$route: plans were shown");
    unlike($out, qr/PLAN-SECRET/, "$route: no password in any plan with the shim's options");
    like(plans($route, '-c plan_cache_mode=force_custom_plan'), qr/PLAN-SECRET/,
        "$route: with custom plans forced, a plan holds the password");
}

done_testing();
