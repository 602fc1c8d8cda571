# Finote beyond one machine, on loopback (docker/SCALING.md):
#
#   client -> nginx :8080 (round robin, retries idempotent requests)
#               -> shim A :3342 \
#               -> shim B :3343 -> PgBouncer :6440 (transaction pooling)
#                                    -> primary :54372 ==streaming==> replica :54373
#
# Checked: the replica (pg_basebackup -R) follows the primary; a session made
# on shim A works on shim B (cookie and bearer); the login throttle holds
# across both shims; SIGTERM to one shim during a stream of GETs through
# nginx loses none of them; failover: the primary stops, the replica is
# promoted, PgBouncer is pointed at it, and the same session goes on working.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use File::Path qw(make_path remove_tree);
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);

my ($primary_port, $replica_port) = (54372, 54373);
my ($port_a, $port_b) = (3342, 3343);
my $bouncer_port = 6440;
my $nginx_port = 8080;
my $as_root = $> == 0;

my %bin = (pgbouncer => '/usr/sbin/pgbouncer', nginx => '/usr/sbin/nginx');
for my $name (keys %bin) {
    next if -x $bin{$name};
    ($bin{$name}) = grep { -x } map { "$_/$name" } split /:/, $ENV{PATH};
    plan skip_all => "$name is not installed (test/debian-packages.txt; test/bin/deps)" unless $bin{$name};
}
my $pgbin = `pg_config --bindir`;
chomp $pgbin;

my $dir = "$STATE/t310";
my $replica = "$dir/replica";
# stop what an interrupted run may have left
system("$ROOT/test/bin/pgcluster", 'stop', $_) for grep { -d } $replica, "$dir/primary";
for my $pidfile ("$dir/pgbouncer/pgbouncer.pid", "$dir/nginx/nginx.pid") {
    my $pid = -f $pidfile ? slurp($pidfile) =~ s/\s+//gr : '';
    if ($pid && kill 0, $pid) { kill 'TERM', $pid; sleep 0.5 }
}
remove_tree($dir);
make_path("$dir/pgbouncer", "$dir/nginx/logs", "$dir/nginx/tmp");

sub put {
    my ($path, $text) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print $fh $text;
    close $fh;
}
sub as_postgres {
    my (@cmd) = @_;
    return $as_root ? ('runuser', '-u', 'postgres', '--', @cmd) : @cmd;
}
sub wait_until {
    my ($what, $timeout, $check) = @_;
    my $until = time + $timeout;
    while (time < $until) {
        return 1 if $check->();
        sleep 0.1;
    }
    diag "timed out waiting for $what";
    return 0;
}

# --- 1. primary and streaming replica -------------------------------------------
# Ports of 54xxx lie in Linux's ephemeral range: an outgoing connection of
# anything on the machine may hold one for a moment, so a failed start is retried.
sub retry {
    my ($what, $code) = @_;
    for my $try (1 .. 10) {
        my @r = eval { $code->() };
        return @r unless $@;
        diag "$what failed (try $try): $@";
        sleep 3;
    }
    BAIL_OUT("$what failed 10 times");
}
my ($primary) = retry('primary cluster', sub { start_cluster('t310/primary', $primary_port) });
make_path("$replica/sock");
system('chown', '-R', 'postgres', $replica) if $as_root;
is(system(as_postgres("$pgbin/pg_basebackup", '-h', '127.0.0.1', '-p', $primary_port, '-U', 'postgres',
    '-D', "$replica/data", '-R', '-X', 'stream', '-c', 'fast')), 0, 'pg_basebackup -R clones the primary');
ok(-f "$replica/data/standby.signal", 'the clone is a standby (standby.signal)');
ok(retry('replica', sub { system("$ROOT/test/bin/pgcluster", 'start', $replica, $replica_port) == 0 or die "pgcluster start\n"; 1 }),
    'the replica starts');
our $replica_running = 1;
END { system("$ROOT/test/bin/pgcluster", 'stop', $replica) if $replica_running }
is(psql($replica_port, 'finote', 'SELECT pg_is_in_recovery()'), 't', 'the replica is in recovery');
ok(wait_until('streaming', 15, sub {
    psql($primary_port, 'postgres', "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") eq '1' }),
    'the primary streams to it (pg_stat_replication)');
psql($primary_port, 'finote', q{SELECT finote.register('replicated', 'replicated-pw')});
ok(wait_until('replay', 15, sub {
    psql($replica_port, 'finote', q{SELECT count(*) FROM finote.users WHERE username = 'replicated'}) eq '1' }),
    'a user registered on the primary appears on the replica');
{
    open my $saved, '>&', \*STDERR or die;
    open STDERR, '>', '/dev/null' or die;
    my $wrote = eval { psql($replica_port, 'finote', q{SELECT finote.register('nope', 'nope-password')}); 1 };
    open STDERR, '>&', $saved or die;
    ok(!$wrote, 'the replica refuses writes');
}

# --- 2. PgBouncer in transaction pooling mode in front of the primary -------------
my $bdir = "$dir/pgbouncer";
sub bouncer_ini {
    my ($db_port) = @_;
    put("$bdir/pgbouncer.ini", <<"INI");
[databases]
finote = host=127.0.0.1 port=$db_port dbname=finote
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer_port
unix_socket_dir =
auth_type = trust
auth_file = $bdir/userlist.txt
pool_mode = transaction
default_pool_size = 6
max_client_conn = 100
server_reset_query =
; the shim's connection options (search_path, plan_cache_mode): PgBouncer
; refuses them; the names are qualified anyway, and finote-db app-role gives the role the same settings
ignore_startup_parameters = options
server_connect_timeout = 3
query_wait_timeout = 5
logfile = $bdir/pgbouncer.log
pidfile = $bdir/pgbouncer.pid
INI
}
put("$bdir/userlist.txt", qq{"finote_app" ""\n});
bouncer_ini($primary_port);
system('chown', '-R', 'postgres', $bdir) if $as_root;
is(system(as_postgres($bin{pgbouncer}, '-d', "$bdir/pgbouncer.ini")), 0, 'pgbouncer starts');
wait_until('pgbouncer pid', 5, sub { -s "$bdir/pgbouncer.pid" });
our $bouncer_pid = slurp("$bdir/pgbouncer.pid") =~ s/\s+//gr;
END { kill 'TERM', $bouncer_pid if $bouncer_pid }

# --- 3. two shims, one secret, one database URL -------------------------------------
# nginx, at 127.0.0.1, is the proxy whose X-Forwarded-For the shims believe.
my %shim_env = (SESSION_SECRET => 'scale-out-shared-secret-0123456789abcdef', DB_POOL_MAX => 3, FINOTE_PREPARE => 0,
    DATABASE_URL => "postgresql://finote_app\@127.0.0.1:$bouncer_port/finote",
    FINOTE_TRUSTED_PROXIES => '127.0.0.1');
my $a = start_shim(PORT => $port_a, tag => 't310-a', %shim_env);
my $b = start_shim(PORT => $port_b, tag => 't310-b', %shim_env);
is(api($_, 'GET', '/readyz')->{status}, 200, "shim on $_->{port} is ready through pgbouncer") for $a, $b;

# --- 4. nginx: round robin over the shims, retrying idempotent requests --------------
my $ndir = "$dir/nginx";
put("$ndir/nginx.conf", <<"CONF");
daemon off;
worker_processes 1;
pid $ndir/nginx.pid;
error_log $ndir/logs/error.log warn;
events { worker_connections 256; }
http {
    log_format upstreams '\$request_method \$uri \$status \$upstream_status | \$upstream_addr';
    access_log $ndir/logs/access.log upstreams;
    client_body_temp_path $ndir/tmp/body;
    proxy_temp_path $ndir/tmp/proxy;
    fastcgi_temp_path $ndir/tmp/fastcgi;
    uwsgi_temp_path $ndir/tmp/uwsgi;
    scgi_temp_path $ndir/tmp/scgi;
    upstream finote {
        server 127.0.0.1:$port_a max_fails=1 fail_timeout=2s;
        server 127.0.0.1:$port_b max_fails=1 fail_timeout=2s;
        keepalive 16;
    }
    server {
        listen 127.0.0.1:$nginx_port;
        location / {
            proxy_pass http://finote;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$remote_addr;
            proxy_set_header X-Forwarded-Proto \$scheme;
            # another shim gets the request when one refuses the connection or
            # answers 502/503 (stopping); nginx never resends a POST/PATCH/DELETE
            # that reached a shim (no "non_idempotent")
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 2;
            proxy_connect_timeout 2s;
            # above the shim's own limit (1 MiB), so that the shim answers
            # 413 in the API's JSON, not nginx in HTML
            client_max_body_size 2m;
        }
        # nginx's own errors (no shim reachable) in the API's JSON too
        error_page 502 503 504 = \@unavailable;
        location \@unavailable {
            default_type "application/json; charset=utf-8";
            return 503 '{"error":{"code":"unavailable","message":"the service is unavailable"}}';
        }
    }
}
CONF
is(system($bin{nginx}, '-t', '-q', '-p', "$ndir/", '-e', "$ndir/logs/error.log", '-c', "$ndir/nginx.conf"), 0,
    'nginx -t accepts the generated configuration');
our $nginx_pid = fork // die;
if (!$nginx_pid) {
    open STDOUT, '>>', "$ndir/logs/stdout.log";
    open STDERR, '>>', "$ndir/logs/stderr.log";
    exec $bin{nginx}, '-p', "$ndir/", '-e', "$ndir/logs/error.log", '-c', "$ndir/nginx.conf" or POSIX::_exit(127);
}
END { if ($nginx_pid) { kill 'QUIT', $nginx_pid; waitpid($nginx_pid, 0) } }
my $lb = { port => $nginx_port, url => "http://127.0.0.1:$nginx_port" };
ok(wait_until('nginx', 10, sub { (api($lb, 'GET', '/healthz')->{status} // 0) == 200 }), 'nginx answers on 127.0.0.1:8080');

# access log lines from line $from on: [[addresses tried in order], ...]
sub log_lines { scalar(() = slurp("$ndir/logs/access.log") =~ /\n/g) }
sub upstream_tries {
    my ($from) = @_;
    my @lines = split /\n/, slurp("$ndir/logs/access.log");
    return [map { [split /,\s*|\s+:\s+/, (split / \| /)[1] // ''] } @lines[($from // 0) .. $#lines]];
}
# how often each shim was tried
sub upstreams_used {
    my %seen;
    $seen{$_}++ for map { @$_ } @{ upstream_tries(@_) };
    return \%seen;
}
for (1 .. 10) { api($lb, 'GET', '/healthz') }
my $used = upstreams_used();
ok($used->{"127.0.0.1:$port_a"} && $used->{"127.0.0.1:$port_b"}, 'nginx spreads requests over both shims')
  or diag explain $used;

# --- 5. a session made on A works on B -------------------------------------------------
my ($login, $cookie) = register_and_login($a, 'roamer', 'roamer-password');
my $token = $login->{json}{token};
ok($cookie && $token, 'logged in on shim A');
is(api($b, 'GET', '/api/auth/me', undef, Cookie => $cookie)->{json}{user}{username}, 'roamer',
    "shim B accepts shim A's session cookie");
is(api($b, 'GET', '/api/auth/me', undef, Authorization => "Bearer $token")->{json}{user}{username}, 'roamer',
    "shim B accepts shim A's bearer token");
my $note = api($b, 'POST', '/api/notes', { title => 'made on B', content => 'x' }, Cookie => $cookie);
is($note->{status}, 201, 'a note created on B');
is(api($a, 'GET', "/api/notes/$note->{json}{note}{id}", undef, Authorization => "Bearer $token")->{json}{note}{title},
    'made on B', 'is read on A');
is(api($a, 'POST', '/api/auth/logout', undef, Cookie => $cookie)->{status}, 204, 'logout on A');
is(api($b, 'GET', '/api/auth/me', undef, Cookie => $cookie)->{status}, 401, 'ends the session on B too');
($login, $cookie) = register_and_login($lb, 'streamer', 'streamer-password');
$token = $login->{json}{token};
ok($token, 'register and login through nginx');

# --- 6. the throttle holds across shims ----------------------------------------------------
register_and_login($a, 'target', 'target-password');
my @statuses;
for my $i (1 .. 5) {
    my $shim = $i % 2 ? $a : $b;
    push @statuses, api($shim, 'POST', '/api/auth/login', { username => 'target', password => "wrong-$i" })->{status};
}
is("@statuses", '401 401 401 401 401', '5 failed logins, alternating A, B, A, B, A: each 401');
is(api($b, 'POST', '/api/auth/login', { username => 'target', password => 'target-password' })->{status}, 429,
    'the 6th attempt on B is 429, even with the right password');
is(api($a, 'POST', '/api/auth/login', { username => 'target', password => 'target-password' })->{status}, 429,
    'and on A');
is(api($lb, 'POST', '/api/auth/login', { username => 'TARGET', password => 'target-password' })->{status}, 429,
    'and through nginx, whatever the case of the name');
# The client's address reaches the shims through nginx, so the owner at
# another address (127.0.0.2: nginx writes it as X-Forwarded-For, and the
# shims trust nginx) is not locked out.
is(api({ %$lb, local_address => '127.0.0.2' }, 'POST', '/api/auth/login',
        { username => 'target', password => 'target-password' })->{status}, 200,
    'through nginx from another client address, the owner logs in');

# --- 7. SIGTERM to shim B during a stream of GETs through nginx -------------------------------
my $log_mark = log_lines();
my $requests = 400;
pipe(my $rd, my $wr) or die;
my $kid = fork // die;
if (!$kid) {
    close $rd;
    my (%status, $done);
    my $http = HTTP::Tiny->new(timeout => 10, keep_alive => 1);
    for my $i (1 .. $requests) {
        my $path = $i % 2 ? '/api/notes' : '/api/auth/me';
        my $r = $http->get("$lb->{url}$path", { headers => { Authorization => "Bearer $token" } });
        $status{ $r->{status} }++;
        syswrite $wr, "." if $i == 100;    # tell the parent: now
    }
    syswrite $wr, join(',', map { "$_=$status{$_}" } sort keys %status) . "\n";
    POSIX::_exit(0);
}
close $wr;
sysread $rd, my $go, 1;
kill 'TERM', $b->{pid};
my $exit = wait_exit($b, 30);
my $summary = <$rd>;
waitpid($kid, 0);
chomp $summary;
is($exit, 0, 'shim B exits 0 after SIGTERM');
is($summary, "200=$requests", "all $requests GETs through nginx answered 200 while B stopped");
$used = upstreams_used($log_mark);
ok($used->{"127.0.0.1:$port_b"}, 'B took part in the stream before it stopped') or diag explain $used;
my %final;
$final{ $_->[-1] }++ for @{ upstream_tries(log_lines() - 20) };
is_deeply([keys %final], ["127.0.0.1:$port_a"], 'the last requests were all answered by A');
my $post = api($lb, 'POST', '/api/notes', { title => 'with B down' }, Authorization => "Bearer $token");
is($post->{status}, 201, 'writes go on through nginx with one shim');

# B comes back and gets traffic again
$b = start_shim(PORT => $port_b, tag => 't310-b2', %shim_env);
sleep 2.5;    # fail_timeout
$log_mark = log_lines();
api($lb, 'GET', '/healthz') for 1 .. 10;
ok(upstreams_used($log_mark)->{"127.0.0.1:$port_b"}, 'a restarted B is back in the rotation');

# --- 8. failover: primary lost, replica promoted, PgBouncer repointed ----------------------
ok(wait_until('replay of the last writes', 15, sub {
    psql($replica_port, 'finote', q{SELECT count(*) FROM finote.notes WHERE title = 'with B down'}) eq '1' }),
    'the replica has the latest note');
stop_cluster($primary);
my $t0 = time;
my $down = api($lb, 'GET', '/readyz')->{status};
cmp_ok(time - $t0, '<', 15, 'it fails within 15 s, not after a hang (PgBouncer query_wait_timeout = 5)');
ok($down == 503 || $down == 502, "with the primary gone, /readyz through nginx fails ($down)");
my $promote = join ' ', map { "'$_'" } as_postgres("$pgbin/pg_ctl", '-D', "$replica/data", '-w', 'promote');
is(system("$promote >/dev/null"), 0, 'pg_ctl promote');
is(psql($replica_port, 'finote', 'SELECT pg_is_in_recovery()'), 'f', 'the replica is now a primary');
bouncer_ini($replica_port);
kill 'HUP', $bouncer_pid;    # RELOAD: new connections go to the new primary
ok(wait_until('ready again', 15, sub { api($lb, 'GET', '/readyz')->{status} == 200 }), '/readyz is 200 again');
is(api($lb, 'GET', '/api/auth/me', undef, Authorization => "Bearer $token")->{json}{user}{username}, 'streamer',
    'the session from before the failover still works');
is(api($lb, 'POST', '/api/notes', { title => 'after failover' }, Authorization => "Bearer $token")->{status}, 201,
    'and writes go to the promoted replica');
is(psql($replica_port, 'finote', q{SELECT count(*) FROM finote.notes WHERE title = 'after failover'}), 1,
    'where the note is stored');

# errors keep the API's shape through nginx
my $big = api($lb, 'POST', '/api/notes', { title => 'big', content => 'x' x (1536 * 1024) },
    Authorization => "Bearer $token");
is($big->{status}, 413, 'a 1.5 MB body through nginx: 413');
is($big->{json}{error}{code}, 'payload_too_large', "answered by the shim, in the API's JSON")
  or diag $big->{content};
is(api($lb, 'GET', '/api/nope')->{json}{error}{code}, 'not_found', 'a 404 passes through as JSON');

unlike(slurp("$bdir/pgbouncer.log"), qr/prepared statement .* (does not exist|already exists)/,
    'no prepared-statement trouble in the pgbouncer log');
logs_clean($_, 'roamer-password', 'streamer-password', 'target-password', $token) for $a, $b;
stop_shim($_) for $a, $b;
my $none = api($lb, 'GET', '/api/notes', undef, Authorization => "Bearer $token");
is($none->{status}, 503, 'with no shim left nginx answers 503');
is($none->{json}{error}{code}, 'unavailable', "in the API's JSON error shape");
done_testing();
