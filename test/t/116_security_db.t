# Issue 13 over HTTP, the database's side: no password or token reaches the
# PostgreSQL log or the shim's logs whatever the body (finding 2); wrong JSON
# types and duplicate keys are 400 and change nothing (finding 6); failed
# logins count per client address and account with growing delays, enforced
# atomically, and X-Forwarded-For counts only from FINOTE_TRUSTED_PROXIES
# (finding 3); registrations have a per-address budget (finding 4).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use Test::More;
use POSIX ();

my $pg_port = free_port();
my ($dir, $dburl) = start_cluster('t116', $pg_port);
# Attempts come 40 at once below: room for their workers.
psql($pg_port, 'postgres', 'ALTER SYSTEM SET max_worker_processes = 16');
stop_cluster($dir);
pgcluster_start($dir, $pg_port);
my $pglog_start = length(slurp("$dir/postgres.log"));

my $secret = 'test-secret-' . ('q' x 40);
# Shim A: its peer (127.0.0.1) is no trusted proxy, so X-Forwarded-For is ignored.
my $direct = start_shim(PORT => free_port(), DATABASE_URL => $dburl, SESSION_SECRET => $secret);
# Shim B: behind a "proxy" at 127.0.0.1, which it trusts.
my $proxied = start_shim(PORT => free_port(), DATABASE_URL => $dburl, SESSION_SECRET => $secret,
    FINOTE_TRUSTED_PROXIES => '10.0.0.0/8, 127.0.0.1', DB_POOL_MAX => 40);

my @secrets;    # every password and token used: none may be logged
sub from { return ('X-Forwarded-For' => $_[0]) }

# ---- finding 6: wrong JSON types, duplicate keys
my ($login) = register_and_login($direct, 'typed', 'typed password');
push @secrets, 'typed password', $login->{json}{token};
my $auth = "Bearer $login->{json}{token}";
my $note = api($direct, 'POST', '/api/notes', { title => 'kept', content => 'kept' }, Authorization => $auth);
is($note->{status}, 201, 'a note to leave unchanged');
my $nid = $note->{json}{note}{id};

for my $case (
    ['POST', '/api/auth/register', '{"username": 12345, "password": "number name pw"}', 'username'],
    ['POST', '/api/auth/register', '{"username": "numpw", "password": 123456789}', 'password'],
    ['POST', '/api/auth/login', '{"username": "typed", "password": 123456789}', 'password'],
    ['POST', '/api/auth/login', '{"username": ["typed"], "password": "typed password"}', 'username'],
    ['PUT', '/api/auth/password', '{"current_password": "typed password", "new_password": 12345678}', 'new_password'],
    ['POST', '/api/notes', '{"title": 42, "content": "x"}', 'title'],
    ['POST', '/api/notes', '{"title": "t", "content": ["a", "b"]}', 'content'],
    ['POST', '/api/notes', '{"title": "t", "content": {"k": "v"}}', 'content'],
    ['POST', '/api/notes', '{"title": "t", "tags": [1, true, {"k": "v"}, [2]]}', 'tags'],
    ['POST', '/api/notes', '{"title": "t", "tags": "a"}', 'tags'],
    ['PATCH', "/api/notes/$nid", '{"title": 42}', 'title'],
    ['PATCH', "/api/notes/$nid", '{"tags": [1]}', 'tags'],
  )
{
    my ($method, $path, $body, $field) = @$case;
    my $r = api($direct, $method, $path, $body, Authorization => $auth);
    is($r->{status}, 400, "$method $path $body: 400");
    like($r->{json}{error}{message} // '', qr/\b\Q$field\E\b/, "$method $path: the message names $field");
}
for my $case (
    ['POST', '/api/auth/register', '{"username": "dupkey", "password": "dup key pw1", "password": "dup key pw2"}'],
    ['POST', '/api/auth/login', '{"username": "typed", "password": "typed password", "username": "x"}'],
    ['POST', '/api/notes', '{"title": "a", "title": "b"}'],
    ['PATCH', "/api/notes/$nid", '{"title": "a", "content": "b", "title": "c"}'],
  )
{
    my ($method, $path, $body) = @$case;
    my $r = api($direct, $method, $path, $body, Authorization => $auth);
    is($r->{status}, 400, "duplicate key, $method $path: 400");
    is($r->{json}{error}{code}, 'invalid_input', "duplicate key, $method $path: invalid_input");
}
push @secrets, 'number name pw', 'dup key pw1', 'dup key pw2';
my $r = api($direct, 'GET', "/api/notes/$nid", undef, Authorization => $auth);
is($r->{json}{note}{title}, 'kept', 'the note is unchanged');
is_deeply($r->{json}{note}{tags}, [], 'its tags too');
is(psql($pg_port, 'finote', q{SELECT count(*) FROM finote.users WHERE username IN ('12345', 'numpw', 'dupkey')}),
    0, 'no account was made from a wrong type or a duplicate key');
is(psql($pg_port, 'finote', q{SELECT count(*) FROM finote.notes}), 1, 'no note was made');
$r = api($direct, 'POST', '/api/auth/login', { username => 'typed', password => 'typed password' });
is($r->{status}, 200, 'the password was not changed');
push @secrets, $r->{json}{token};

# ---- finding 2: hostile bodies never put a secret into a log
my $n = 0;
for my $tmpl (
    '{"username":"alice","password":"%s",}',
    '{"username":"alice","password":"%s\u0000"}',
    '{"username":"alice","password":"%s","x":"\ud800"}',
    '{"username":"alice","password":"%s\udc00"}',
    '{"username":"alice","password":"%s"',
    '{"username":"alice","password":%s}',
    '{"username":"alice","password":"%s","password":"%s"}',
    '{"username":"alice","password":"%s","n":1e999999}',
    '{"username":"alice","password":"%s"} trailing',
    '{"username":"alice","password":"%s","deep":' . ('[' x 5000) . '}',
  )
{
    for my $route (['POST', '/api/auth/register'], ['POST', '/api/auth/login'],
        ['PUT', '/api/auth/password'])
    {
        my $pw = sprintf('HostilePw%03dSecret', ++$n);
        (my $body = $tmpl) =~ s/%s/$pw/g;
        $body =~ s/"password"/"new_password"/ if $route->[1] eq '/api/auth/password';
        my $res = api($direct, @$route, $body, Authorization => $auth);
        is($res->{status}, 400, "$route->[1], hostile body $n: 400");
        push @secrets, $pw;
    }
}
# Wrong and right passwords the ordinary way, too.
for my $i (1 .. 3) {
    my $pw = "WrongLoginPw$i";
    is(api($direct, 'POST', '/api/auth/login', { username => 'typed', password => $pw })->{status},
        401, "wrong password $i: 401");
    push @secrets, $pw;
}

# ---- finding 3: per address and account, growing delays, trusted proxies
register_and_login($direct, 'owner', 'owner password');
push @secrets, 'owner password';
for my $i (1 .. 5) {
    $r = api($proxied, 'POST', '/api/auth/login', { username => 'owner', password => "Guess$i" },
        from('203.0.113.7'));
    is($r->{status}, 401, "attacker's guess $i: 401");
    push @secrets, "Guess$i";
}
$r = api($proxied, 'POST', '/api/auth/login', { username => 'owner', password => 'owner password' },
    from('203.0.113.7'));
is($r->{status}, 429, "the attacker's address waits now, even with the right password");
like($r->{headers}{'retry-after'} // '', qr/^(2[5-9]|30)$/, 'Retry-After: the real wait (30 s)');
$r = api($proxied, 'POST', '/api/auth/login', { username => 'owner', password => 'owner password' },
    from('198.51.100.1'));
is($r->{status}, 200, 'the owner at another address is not locked out');
push @secrets, $r->{json}{token};
# Addresses the client writes left of the proxy's entry prove nothing.
$r = api($proxied, 'POST', '/api/auth/login', { username => 'owner', password => 'owner password' },
    from('198.51.100.1, 203.0.113.7'));
is($r->{status}, 429, 'a forged X-Forwarded-For entry does not move the attacker');
# Through a shim that trusts no proxy, X-Forwarded-For is ignored altogether.
for my $i (1 .. 5) {
    api($direct, 'POST', '/api/auth/login', { username => 'owner', password => "Spoof$i" },
        from("192.0.2.$i"));
    push @secrets, "Spoof$i";
}
$r = api($direct, 'POST', '/api/auth/login', { username => 'owner', password => 'Spoof6' },
    from('192.0.2.6'));
is($r->{status}, 429, 'an untrusted peer cannot pick its address with X-Forwarded-For');

# 40 attempts at once from one address: no more than the budget's 5 guesses.
register_and_login($direct, 'target', 'target password');
push @secrets, 'target password';
my @pids;
pipe(my $rd, my $wr) or die "pipe: $!";
for my $i (1 .. 40) {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $rd;
        my $res = api($proxied, 'POST', '/api/auth/login', { username => 'target', password => "Burst$i" },
            from('203.0.113.99'));
        syswrite($wr, "$res->{status}\n");
        POSIX::_exit(0);    # not exit: the parent's END blocks stop the cluster
    }
    push @pids, $pid;
    push @secrets, "Burst$i";
}
close $wr;
my %statuses;
$statuses{$_}++ for map { chomp; $_ } <$rd>;
waitpid($_, 0) for @pids;
my $guesses = $statuses{401} // 0;
ok($guesses >= 1 && $guesses <= 5, "40 concurrent attempts: $guesses real guesses (at most 5)");
# Refused: 429 past the budget, or 503 (with Retry-After) when a loaded
# machine could not count the attempt in time; neither made a guess.
is(($statuses{429} // 0) + ($statuses{503} // 0) + $guesses, 40,
    'every other attempt was refused (429, or 503 when it could not be counted)')
  or diag explain \%statuses;
ok(($statuses{429} // 0) > 0, 'the budget refused some of them with 429') or diag explain \%statuses;
$r = api($proxied, 'POST', '/api/auth/login', { username => 'target', password => 'target password' },
    from('198.51.100.2'));
is($r->{status}, 200, 'after the burst, the owner elsewhere logs in');
push @secrets, $r->{json}{token};

# ---- finding 4: registrations per address, taken names included
my $taken = 0;
for my $i (1 .. 10) {
    my $name = $i % 3 ? "reg$i" : 'owner';    # every third one is taken: 409
    $r = api($proxied, 'POST', '/api/auth/register', { username => $name, password => "RegPw$i" . 'xx' },
        from('192.0.2.200'));
    $taken++ if $r->{status} == 409;
    push @secrets, "RegPw$i" . 'xx';
}
is($taken, 3, 'taken usernames answer 409 within the budget');
$r = api($proxied, 'POST', '/api/auth/register', { username => 'reg11', password => 'RegPw11xx' },
    from('192.0.2.200'));
is($r->{status}, 429, 'the eleventh registration from one address within the hour: 429');
ok(($r->{headers}{'retry-after'} // 0) > 0, 'with Retry-After');
$r = api($proxied, 'POST', '/api/auth/register', { username => 'owner', password => 'RegPw12xx' },
    from('192.0.2.200'));
is($r->{status}, 429, 'so "taken" is no faster than the budget');
$r = api($proxied, 'POST', '/api/auth/register', { username => 'reg11', password => 'RegPw11xx' },
    from('192.0.2.201'));
is($r->{status}, 201, 'another address registers');
push @secrets, 'RegPw11xx', 'RegPw12xx';

# ---- the logs: PostgreSQL's and both shims'
@secrets = grep { defined && length } @secrets;
logs_clean($direct, @secrets);
logs_clean($proxied, @secrets);
my $pglog = substr(slurp("$dir/postgres.log"), $pglog_start);
ok(length($pglog) > 0, 'PostgreSQL logged the failed statements');
like($pglog, qr/ERROR:/, 'the log has the errors of the hostile requests');
my @in_pg = grep { index($pglog, $_) >= 0 } @secrets;
is_deeply(\@in_pg, [], 'no password or token of ' . scalar(@secrets) . ' in the PostgreSQL log');

is(psql($pg_port, 'finote', q{SELECT count(*) FROM finote.attempts WHERE key = 'register:192.0.2.200'}),
    1, 'the budget is held in the database (shared by every shim)');

stop_shim($direct);
stop_shim($proxied);
done_testing();
