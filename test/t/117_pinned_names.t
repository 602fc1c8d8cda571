# Issue 20, finding 1: every name the shim's SQL uses is pinned. A role with
# CREATE on public plants look-alikes of each function, operator and type
# the route table names (read from `finote-shim --routes-sql`, not a hand
# list), with signatures as specific as or more specific than pg_catalog's,
# each recording its call in a table anyone may insert into. Then every
# route runs through shims on fresh connections, with FINOTE_PREPARE 0 and
# 1, with the role's own search path and with one that puts public before
# pg_catalog; nothing may reach a look-alike and every route answers as
# usual. finote-db's and finote-release's SQL, run by the superuser, too.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use Test::More;
use JSON::PP ();

my $pg_port = free_port();
my ($dir, $dburl) = start_cluster('t117', $pg_port);
sub sql { psql($pg_port, 'finote', $_[0]) }

# ---- the names, from the statements themselves
my $bin = FinoteTest::shim_bin();
my @rows = map { [split /\t/, $_, 2] } split /\n/, `'$bin' --routes-sql`;
ok(@rows > 20, scalar(@rows) . ' route statements');
# and the SQL files finote-db and finote-release run, without comments and
# psql's variables
for my $file (glob "$FinoteTest::ROOT/bin/lib/*.sql") {
    (my $text = slurp($file)) =~ s/--[^\n]*//g;
    $text =~ s/:'?\w+'?|\\\w+[^\n]*//g;
    push @rows, [$file, $text];
}
my (%functions, %operators, %types);
my %syntax = map { $_ => 1 } qw(select from where case when then else end and or not as in
  coalesce greatest least array extract nullif exists row values operator);
for my $row (@rows) {
    (my $text = $row->[1]) =~ s/'(?:[^']|'')*'/''/g;    # no literal's content
    $operators{$1} = 1 while $text =~ s/OPERATOR\(\s*(?:pg_catalog\.)?([^)\s]+)\s*\)/ /;
    $types{lc $1} = 1 while $text =~ s/::\s*(?:pg_catalog\.)?([a-z_]+)//i;
    while ($text =~ /(?<![.\w])(?:(pg_catalog)\.)?([a-z_]\w*)\s*\(/gi) {
        $functions{lc $2} = 1 unless !$1 && $syntax{lc $2};
    }
    $operators{$1} = 1 while $text =~ s/([-+*\/<>=~!\@#%^&|`?]+)\s*(?=[\w'(\$])/ /;
}
delete @types{qw(int integer bigint boolean)};    # keywords: pg_catalog's types
my @functions = sort grep { sql("SELECT count(*) FROM pg_proc WHERE proname = '$_' "
      . "AND pronamespace = 'pg_catalog'::regnamespace") > 0 } keys %functions;
my @operators = sort keys %operators;
my @types = sort grep { sql("SELECT count(*) FROM pg_type WHERE typname = '$_' "
      . "AND typnamespace = 'pg_catalog'::regnamespace") > 0 } keys %types;
note("functions: @functions; operators: @operators; types: @types");
ok((grep { $_ eq 'jsonb_build_object' } @functions), 'jsonb_build_object is among the names');
ok((grep { $_ eq '->>' } @operators), '->> is among the operators');

# ---- the squatter's look-alikes
psql($pg_port, "postgres", "DROP ROLE IF EXISTS squatter");
sql(q{CREATE ROLE squatter; GRANT CREATE ON SCHEMA public TO squatter});
my @plant = (
    'SET ROLE squatter',
    'CREATE TABLE public.spied (what text, arg text, by_role text DEFAULT current_user, at timestamptz DEFAULT now())',
    'GRANT INSERT, SELECT ON public.spied TO PUBLIC',
    q{CREATE FUNCTION public.spy(what text, arg text) RETURNS boolean LANGUAGE sql SET search_path = pg_catalog
      AS $$ INSERT INTO public.spied (what, arg) VALUES (what, arg) RETURNING true $$},
);
my %seen;
# Each pg_catalog signature of the name, and the same with every pseudo-type
# or differing operand made concrete: more specific than the real one.
for my $f (@functions) {
    my @sigs = split /\n/, sql(qq{SELECT pg_catalog.array_to_string(p.proargtypes::regtype[], ','), p.prorettype::regtype, p.proretset
      FROM pg_proc p WHERE p.proname = '$f' AND p.pronamespace = 'pg_catalog'::regnamespace AND p.prokind = 'f'});
    for my $sig (@sigs) {
        my ($args, $ret, $set) = split /\|/, $sig;
        my @a = length $args ? split /,/, $args : ();
        my @variants = (\@a);
        if (grep { /"any"|any/ } @a) {
            @variants = ([qw(text jsonb)], [qw(text text)], [qw(text record)], [qw(text jsonb text jsonb)]);
        }
        for my $v (@variants) {
            next if grep { /any|internal|cstring/ } @$v;
            my $key = "$f(" . join(',', @$v) . ")";
            next if $seen{$key}++;
            my $params = join ', ', map { "a$_ $v->[$_]" } 0 .. $#$v;
            my $vals = join ', ', map { "a$_" } 0 .. $#$v;
            my $record = "public.spy('$key', pg_catalog.concat_ws(',', $vals))";
            $record = "public.spy('$key', '')" unless @$v;
            my $rettype = $ret =~ /any/ ? 'text' : $ret;
            # the real answer after the record: a hijack nobody notices
            my $body = $set eq 't'
              ? "BEGIN PERFORM $record; RETURN QUERY SELECT pg_catalog.$f($vals); END"
              : "BEGIN PERFORM $record; RETURN pg_catalog.$f($vals); END";
            push @plant, "CREATE FUNCTION public.$f($params) RETURNS " . ($set eq 't' ? 'SETOF ' : '')
              . "$rettype LANGUAGE plpgsql SET search_path = pg_catalog AS \$\$ $body \$\$";
        }
    }
}
for my $op (@operators) {
    my @sigs = split /\n/, sql(qq{SELECT o.oprleft::regtype, o.oprright::regtype, o.oprresult::regtype FROM pg_operator o
      WHERE o.oprname = '$op' AND o.oprnamespace = 'pg_catalog'::regnamespace AND o.oprleft <> 0
        AND o.oprleft IN ('jsonb'::regtype, 'text'::regtype, 'name'::regtype, 'timestamptz'::regtype, 'numeric'::regtype)});
    for my $sig (@sigs) {
        my ($l, $r, $res) = split /\|/, $sig;
        for my $pair ([$l, $r], [$l, $l], [$r, $r]) {
            my ($pl, $pr) = @$pair;
            my $key = "$pl $op $pr";
            next if $seen{$key}++ || $pl =~ /any/ || $pr =~ /any/;
            (my $fname = "op_$pl\_$pr\_" . unpack('H*', $op)) =~ s/\W/_/g;
            push @plant, "CREATE FUNCTION public.$fname(l $pl, r $pr) RETURNS $res LANGUAGE plpgsql SET search_path = pg_catalog AS "
              . "\$\$ BEGIN PERFORM public.spy('$key', l::text || ' ' || r::text); RETURN NULL; END \$\$",
              "CREATE OPERATOR public.$op (LEFTARG = $pl, RIGHTARG = $pr, FUNCTION = public.$fname)";
        }
    }
}
for my $t (@types) {
    push @plant, "CREATE DOMAIN public.$t AS pg_catalog.$t CHECK (public.spy('type $t', VALUE::text))";
}
sql(join ";\n", @plant);
my $planted = sql(q{SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace});
ok($planted > 10, "$planted look-alike functions planted in public");
# The planted names do catch an unqualified call: the test can fail.
sql(q{SET ROLE finote_app; SELECT jsonb_build_object('k', '{}'::jsonb)});
is(sql(q{SELECT count(*) FROM public.spied}), 1, 'an unqualified call reaches the look-alikes');
sql(q{TRUNCATE public.spied});

# ---- every route, through the shim
my $secret = 'test-secret-' . ('s' x 40);
my $n = 0;
sub every_route {
    my ($shim, $what) = @_;
    $n++;
    my $user = "pin$n";
    my $pw = "pin password $n";
    my $r = api($shim, 'GET', '/readyz');
    is($r->{status}, 200, "$what: /readyz");
    $r = api($shim, 'POST', '/api/auth/register', { username => $user, password => $pw });
    is($r->{status}, 201, "$what: register");
    $r = api($shim, 'POST', '/api/auth/login', { username => $user, password => $pw });
    is($r->{status}, 200, "$what: login");
    my $auth = 'Bearer ' . ($r->{json}{token} // '');
    my %a = (Authorization => $auth);
    is(api($shim, 'GET', '/api/auth/me', undef, %a)->{json}{user}{username}, $user, "$what: me");
    $r = api($shim, 'POST', '/api/notes', { title => 't', content => 'my PIN is 4321', pinned => JSON::PP::true(), tags => ['x'] }, %a);
    is($r->{status}, 201, "$what: create");
    my $id = $r->{json}{note}{id} // 'none';
    is(api($shim, 'GET', "/api/notes/$id", undef, %a)->{json}{note}{content}, 'my PIN is 4321', "$what: get");
    $r = api($shim, 'PATCH', "/api/notes/$id", { content => 'changed', pinned => JSON::PP::false(), tags => ['y'] }, %a, 'If-Match' => '"1"');
    is($r->{status}, 200, "$what: update");
    is(api($shim, 'GET', '/api/notes?q=changed&limit=5&tag=y', undef, %a)->{status}, 200, "$what: list");
    is(api($shim, 'GET', '/api/tags', undef, %a)->{status}, 200, "$what: tags");
    $r = api($shim, 'GET', "/api/notes/$id/revisions", undef, %a);
    is($r->{status}, 200, "$what: revisions");
    my ($rev) = map { $_->{id} } grep { ref $_ eq 'HASH' } @{ $r->{json}{revisions} // [] };
    $rev //= 'none';
    is(api($shim, 'GET', "/api/notes/$id/revisions/$rev", undef, %a)->{status}, 200, "$what: one revision");
    is(api($shim, 'POST', "/api/notes/$id/revisions/$rev/restore", undef, %a)->{status}, 200, "$what: restore a revision");
    is(api($shim, 'DELETE', "/api/notes/$id", undef, %a)->{status}, 204, "$what: delete");
    is(api($shim, 'GET', '/api/trash', undef, %a)->{status}, 200, "$what: trash");
    is(api($shim, 'POST', "/api/trash/$id/restore", undef, %a)->{status}, 200, "$what: restore from the trash");
    api($shim, 'DELETE', "/api/notes/$id", undef, %a);
    is(api($shim, 'DELETE', "/api/trash/$id", undef, %a)->{status}, 204, "$what: delete from the trash");
    is(api($shim, 'GET', '/api/export?revisions=true', undef, %a)->{status}, 200, "$what: export");
    is(api($shim, 'PUT', '/api/auth/password', { current_password => $pw, new_password => "$pw 2" }, %a)->{status},
        204, "$what: password change");
    is(api($shim, 'POST', '/api/auth/logout', undef, %a)->{status}, 204, "$what: logout");
    $r = api($shim, 'POST', '/api/auth/login', { username => $user, password => "$pw 2" });
    %a = (Authorization => 'Bearer ' . ($r->{json}{token} // ''));
    is(api($shim, 'DELETE', '/api/auth/me', { password => "$pw 2" }, %a)->{status}, 204, "$what: account delete");
    is(sql(q{SELECT count(*) FROM public.spied}), 0, "$what: no look-alike was called")
      or diag(sql(q{SELECT what || ' by ' || by_role || ': ' || arg FROM public.spied LIMIT 10}));
    sql(q{TRUNCATE public.spied});
}

(my $public_first = $dburl) .= '?options=-c%20search_path%3Dpublic%2Cpg_catalog';
for my $prepare (0, 1) {
    for my $case (['the role\'s search path', $dburl], ['public before pg_catalog', $public_first]) {
        my $shim = start_shim(PORT => free_port(), DATABASE_URL => $case->[1], SESSION_SECRET => $secret,
            FINOTE_PREPARE => $prepare, DB_POOL_MAX => 2);
        every_route($shim, "FINOTE_PREPARE=$prepare, $case->[0]");
        # twice: prepared statements past their first (custom) plans
        every_route($shim, "FINOTE_PREPARE=$prepare, $case->[0], again") if $prepare;
        stop_shim($shim);
    }
}

# ---- finote-db and finote-release, as the superuser
# They pin search_path=pg_catalog,pg_temp (PGOPTIONS); a URL with options of
# its own replaces that, leaving the role's path ("$user", public): the
# more specific look-alikes must not win there either.
for my $admin ("postgresql://postgres\@127.0.0.1:$pg_port/finote",
    "postgresql://postgres\@127.0.0.1:$pg_port/finote?options=-c%20statement_timeout%3D0")
{
    my $how = $admin =~ /options/ ? 'with the URL\'s options' : 'pinned';
    for my $cmd (['finote-db', 'status'], ['finote-db', 'migrate'], ['finote-db', 'app-role', 'finote_app'],
        ['finote-db', 'seed'], ['finote-db', 'purge'], ['finote-release', 'check', '--only', '0'])
    {
        my $out = `env DATABASE_URL='$admin' '$FinoteTest::ROOT/bin/$cmd->[0]' @$cmd[1..$#$cmd] 2>&1`;
        is($?, 0, "@$cmd ($how) runs with the look-alikes planted") or diag($out);
        is(sql(q{SELECT count(*) FROM public.spied}), 0, "@$cmd ($how): no look-alike was called")
          or diag(sql(q{SELECT what || ' by ' || by_role || ': ' || arg FROM public.spied LIMIT 10}));
        sql(q{TRUNCATE public.spied});
    }
}

done_testing();
