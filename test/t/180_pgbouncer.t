# The shim through PgBouncer 1.18 in transaction pooling mode: nothing may
# depend on a server connection staying ours between statements.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use File::Path qw(make_path);
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep);

my $bouncer_bin = -x '/usr/sbin/pgbouncer' ? '/usr/sbin/pgbouncer' : `which pgbouncer`;
chomp $bouncer_bin;
plan skip_all => 'pgbouncer not installed (Debian package pgbouncer)' unless $bouncer_bin && -x $bouncer_bin;

my $pg_port = free_port();
my $bouncer_port = free_port();
start_cluster('t180', $pg_port);
my $dir = "$STATE/t180-bouncer";
make_path($dir);
my $as_root = $> == 0;
sub put { my ($path, $text) = @_; open my $fh, '>', $path or die "$path: $!"; print $fh $text; close $fh }
put("$dir/userlist.txt", qq{"finote_app" ""\n});
put("$dir/pgbouncer.ini", <<"INI");
[databases]
finote = host=127.0.0.1 port=$pg_port dbname=finote
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer_port
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = 2
max_client_conn = 50
server_reset_query =
; the shim's connection options (search_path, plan_cache_mode): PgBouncer
; 1.18 refuses them, so it drops them; the names are qualified anyway
ignore_startup_parameters = options
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
unlink "$dir/pgbouncer.pid";
if ($as_root) {
    system('chown', '-R', 'postgres', $dir) == 0 or die;
    system('runuser', '-u', 'postgres', '--', $bouncer_bin, '-d', "$dir/pgbouncer.ini") == 0 or die 'pgbouncer';
}
else {
    system($bouncer_bin, '-d', "$dir/pgbouncer.ini") == 0 or die 'pgbouncer';
}
for (1 .. 50) { last if -s "$dir/pgbouncer.pid"; sleep 0.1 }
our $bouncer_pid = slurp("$dir/pgbouncer.pid") =~ s/\s+//gr;
END { kill 'TERM', $bouncer_pid if $bouncer_pid && kill 0, $bouncer_pid }
ok($bouncer_pid, "pgbouncer runs (pid $bouncer_pid)");

# Transaction pooling keeps no statement prepared across transactions
# (PgBouncer 1.18): the shim sends every statement unnamed.
my $shim = start_shim(PORT => free_port(), SESSION_SECRET => 'b' x 32, DB_POOL_MAX => 5, FINOTE_PREPARE => 0,
    DATABASE_URL => "postgresql://finote_app\@127.0.0.1:$bouncer_port/finote");

is(api($shim, 'GET', '/readyz')->{status}, 200, 'ready through pgbouncer');
my ($login, $cookie) = register_and_login($shim, 'bea', 'beapassword');
ok($cookie, 'register and login through pgbouncer');
my @auth = (Cookie => $cookie);
is(api($shim, 'GET', '/api/auth/me', undef, @auth)->{json}{user}{username}, 'bea', 'me');
my $r = api($shim, 'POST', '/api/notes', { title => 'via bouncer', content => 'x' }, @auth);
is($r->{status}, 201, 'create');
my $id = $r->{json}{note}{id};
is(api($shim, 'PATCH', "/api/notes/$id", { content => 'y' }, @auth)->{json}{note}{content}, 'y', 'update');
is(api($shim, 'GET', "/api/notes/$id", undef, @auth)->{status}, 200, 'get');
# 1.2: a conditional update and the export (a transaction of its own, SET LOCAL)
is(api($shim, 'PATCH', "/api/notes/$id", { content => 'z' }, @auth, 'If-Match' => '"1"')->{status}, 412,
    'a stale If-Match: 412 through pgbouncer');
$r = api($shim, 'GET', '/api/export', undef, @auth);
is($r->{status}, 200, 'export through pgbouncer');
like($r->{content}, qr/"format"\s*:\s*"finote-export".*"via bouncer"/s, 'export: the document, with the note');

# many clients at once, more than the server pool: every answer right
my @kids;
for my $k (1 .. 8) {
    my $pid = fork // die;
    if (!$pid) {
        my $bad = 0;
        for my $i (1 .. 5) {
            my $c = api($shim, 'POST', '/api/notes', { title => "k$k-$i" }, @auth);
            if ($c->{status} != 201) {
                print STDERR "# client $k: create: $c->{status} $c->{content}\n";
                $bad++;
                next;
            }
            my $g = api($shim, 'GET', "/api/notes/$c->{json}{note}{id}", undef, @auth);
            if ($g->{status} != 200 || $g->{json}{note}{title} ne "k$k-$i") {
                print STDERR "# client $k: get: $g->{status} $g->{content}\n";
                $bad++;
            }
        }
        POSIX::_exit($bad);
    }
    push @kids, $pid;
}
my $failures = 0;
for (@kids) { waitpid($_, 0); $failures += $? >> 8 }
is($failures, 0, '8 clients x 5 creates and reads, all right');

my (@seen, $cursor);
for (1 .. 20) {
    my $qs = '?limit=7' . (defined $cursor ? "&cursor=$cursor" : '');
    $r = api($shim, 'GET', "/api/notes$qs", undef, @auth);
    push @seen, @{ $r->{json}{notes} };
    $cursor = $r->{json}{next_cursor};
    last unless defined $cursor;
    $cursor =~ s/([^A-Za-z0-9_.~-])/sprintf('%%%02X', ord $1)/ge;
}
is(scalar @seen, 41, 'paging through pgbouncer sees all 41 notes');
is(api($shim, 'DELETE', "/api/notes/$id", undef, @auth)->{status}, 204, 'delete');
is(api($shim, 'POST', '/api/auth/login', { username => 'bea', password => 'wrong-pass' })->{status}, 401,
    'bad credentials through pgbouncer');
is(api($shim, 'POST', '/api/auth/logout', undef, @auth)->{status}, 204, 'logout');
is(api($shim, 'GET', '/api/auth/me', undef, @auth)->{status}, 401, 'logged out');
unlike(slurp("$dir/pgbouncer.log"), qr/prepared statement .* (does not exist|already exists)/,
    'no prepared-statement trouble in the pgbouncer log');

logs_clean($shim, 'beapassword', 'wrong-pass', $login->{json}{token});
stop_shim($shim);
kill 'TERM', $bouncer_pid;
for (1 .. 50) { last unless kill 0, $bouncer_pid; sleep 0.1 }
ok(!kill(0, $bouncer_pid), 'pgbouncer stopped');
done_testing();
