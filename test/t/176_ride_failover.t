# The shim rides through a failover: a primary and a streaming standby
# (pg_basebackup -R, as 310_scaleout.t), the shim given both in a libpq
# multi-host URL with target_session_attrs=read-write, a steady mixed load
# (test/lib/FinoteLoad.pm). The primary stops (pg_ctl stop -m fast), and
# the standby is promoted a second later. While neither accepts writes,
# libpq refuses the standby and the requests wait (FINOTE_DB_WAIT_MS);
# then they go on, on the promoted standby, without the shim being told.
# Printed: the answers by kind, the failed requests and the longest.
# Checked: no read fails, no change that was not in flight at the stop;
# every 201 is on the new primary, no note twice; /readyz 503 while no
# server takes writes, 200 after.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use FinoteLoad;
use File::Path qw(make_path remove_tree);
use Test::More;
use Time::HiRes qw(sleep time);

my ($primary_port, $standby_port) = (free_port(), free_port());
my $standby = "$STATE/t176/standby";
system("$ROOT/test/bin/pgcluster", 'stop', $standby) if -d $standby;
remove_tree($standby);
my ($primary) = start_cluster('t176/primary', $primary_port);
# Each login takes two background workers (attempts.c): four at once on a
# busy machine found no slot free (429), OPERATIONS.md's remedy; the
# standby, a copy, has the same
psql($primary_port, 'postgres', 'ALTER SYSTEM SET max_worker_processes = 32');
stop_cluster($primary);
pgcluster_start($primary, $primary_port);

my $pgbin = `pg_config --bindir`;
chomp $pgbin;
sub as_postgres { return $> == 0 ? ('runuser', '-u', 'postgres', '--', @_) : @_ }
make_path("$standby/sock");
system('chown', '-R', 'postgres', $standby) if $> == 0;
is(system(as_postgres("$pgbin/pg_basebackup", '-h', '127.0.0.1', '-p', $primary_port, '-U', 'postgres',
    '-D', "$standby/data", '-R', '-X', 'stream', '-c', 'fast')), 0, 'pg_basebackup -R clones the primary');
pgcluster_start($standby, $standby_port);
our $standby_running = 1;
END { system("$ROOT/test/bin/pgcluster", 'stop', $standby) if $standby_running }
my $streaming;
for (1 .. 150) {
    last if ($streaming = psql($primary_port, 'postgres',
        "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")) eq '1';
    sleep 0.1;
}
is($streaming, '1', 'the standby streams from the primary');

# A login cut off by a break keeps the attempt it reserved (attempts.c), and
# the load logs in often: the budgets are 116_security_db.t's business.
psql($primary_port, 'postgres', 'ALTER DATABASE finote SET finote.login_max_failures = 100000');
my $wait_ms = 20000;
my $shim = start_shim(PORT => free_port(), SESSION_SECRET => 'f' x 32, DB_POOL_MAX => 4,
    FINOTE_DB_WAIT_MS => $wait_ms,
    DATABASE_URL => "postgresql://finote_app\@127.0.0.1:$primary_port,127.0.0.1:$standby_port/finote"
      . '?target_session_attrs=read-write');
is(api($shim, 'GET', '/readyz')->{status}, 200, 'ready on the primary');
my $users = load_users($shim, 'mover', 4);

my $prober = readyz_probe_start($shim, "$STATE/logs/t176-readyz.tsv");

my $load = load_start($shim->{url}, $users, dir => "$STATE/t176/load", tag => 'failover', seconds => 60);
sleep 2;

my ($pg_ctl, $stop) = pg_ctl_break($primary, 'stop', '-m', 'fast', '-w');
waitpid($pg_ctl, 0);
is($?, 0, 'the primary stops (pg_ctl stop -m fast)');
sleep 1;
is(system(join(' ', map { "'$_'" } as_postgres("$pgbin/pg_ctl", '-D', "$standby/data", '-w', 'promote')) . ' >/dev/null'), 0,
    'pg_ctl promote');
my $promoted = time;
diag(sprintf('the primary was gone %.2f s after pg_ctl stop began; the standby promoted %.2f s after',
    $stop->[1] - $stop->[0], $promoted - $stop->[0]));
sleep 3;
my $records = load_stop($load);
my $ready = readyz_probe_stop($prober);

my $account = load_account($records, $stop);
load_report($account, $stop->[0]);
my $longest = $account->{longest};
ok($account->{count} > 100, "a steady load ($account->{count} requests)");
my @rode = grep { $_->{start} < $promoted && $_->{end} > $stop->[1] && $_->{status} =~ /^2/ } @$records;
ok(@rode, scalar(@rode) . ' requests waited while no server took writes, and were answered');
is(scalar @{ $account->{failed} }, 0, 'no read failed, nor any change that was not in flight at the stop');
is(scalar(grep { $_->{status} == 500 } @$records), 0, 'no 500');
ok($longest->{end} - $longest->{start} < $wait_ms / 1000 + 3, 'no request waited past FINOTE_DB_WAIT_MS (and a connect)');

my %stored = map { split /\|/ } split /\n/, psql($standby_port, 'finote',
    q{SELECT title || '|' || count(*) FROM finote.notes WHERE title LIKE 'failover-%' GROUP BY title});
my @created = grep { $_->{kind} eq 'create' && $_->{status} == 201 } @$records;
is(scalar(grep { $_ > 1 } values %stored), 0, 'no note was created twice');
is(scalar(grep { !$stored{ $_->{title} } } @created), 0,
    sprintf('every 201 is on the promoted standby (%d)', scalar @created));
is(scalar(grep { $_->{kind} eq 'update' && $_->{status} == 200 && $_->{start} > $promoted } @$records) > 0, 1,
    'updates with If-Match go on after the failover');

my @inside = grep { $_->[0] > $stop->[1] && $_->[1] < $promoted - 0.1 } @$ready;
ok(@inside && !grep({ $_->[2] == 200 } @inside),
    sprintf('/readyz is 503 while no server takes writes (%d probes)', scalar @inside));
ok((grep { $_->[0] > $promoted + 1 && $_->[2] == 200 } @$ready), '/readyz is 200 on the promoted standby');

my $m = api($shim, 'GET', '/metrics')->{content};
ok(metric_value($m, 'finote_db_reconnects_total') >= 1, 'reconnects counted');
stop_shim($shim);
done_testing();
