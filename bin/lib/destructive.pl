#!/usr/bin/perl
# destructive.pl FILE...: guarantee 6 of finote-release check, the static part.
# Lexes each upgrade script into statements (comments dropped; string
# literals, dollar-quoted bodies and psql meta-commands kept apart) and
# reports the statements that drop or narrow something holding user data,
# unless the file carries a marker line
#   -- finote: destructive: <what> ; data migration: <where documented>
# Prints findings; exits 1 when a file is refused, 0 otherwise.
use strict; use warnings;
my $bad = 0;
for my $file (@ARGV) {
  open my $fh, '<', $file or die "$file: $!\n";
  my $text = do { local $/; <$fh> };
  (my $name = $file) =~ s{.*/}{};
  my (@markers, @badmarkers);
  my $ln = 0;
  for my $l (split /\n/, $text) {
    $ln++;
    next unless $l =~ /^\s*--\s*finote:\s*destructive\s*:(.*)$/i;
    my $rest = $1;
    if ($rest =~ /^\s*(\S.*?)\s*;\s*data migration\s*:\s*(\S.*?)\s*$/i) { push @markers, "$name:$ln: $1 ; data migration: $2" }
    else { push @badmarkers, "$name:$ln" }
  }
  # Split into statements; comments dropped, string literals kept apart.
  my @st; my ($cur, $blank, $line, $start) = ('', '', 1, 0);
  my @bodies; my $i = 0; my $n = length $text; my $bol = 1;
  while ($i < $n) {
    my $c = substr($text, $i, 1);
    if ($bol && substr($text, $i) =~ /^([ \t]*\\[^\n]*)/) { $i += length $1; next }   # psql meta-command
    $bol = 0;
    if (substr($text, $i, 2) eq '--') { my $j = index($text, "\n", $i); $j = $n if $j < 0; $i = $j; next }
    if (substr($text, $i, 2) eq '/*') {
      my $d = 0;
      while ($i < $n) {
        if (substr($text, $i, 2) eq '/*') { $d++; $i += 2; next }
        if (substr($text, $i, 2) eq '*/') { $d--; $i += 2; last if !$d; next }
        $line++ if substr($text, $i, 1) eq "\n"; $i++;
      }
      $cur .= ' '; $blank .= ' '; next;
    }
    if ($c eq "'") {
      my $esc = $i > 0 && substr($text, $i - 1, 1) =~ /[eE]/;
      my $j = $i + 1;
      while ($j < $n) {
        my $d = substr($text, $j, 1);
        if ($esc && $d eq '\\') { $j += 2; next }
        if ($d eq "'") { if (substr($text, $j + 1, 1) eq "'") { $j += 2; next } last }
        $j++;
      }
      my $lit = substr($text, $i, $j - $i + 1);
      $line += ($lit =~ tr/\n//); $start ||= $line;
      $cur .= $lit; $blank .= "''"; $i = $j + 1; next;
    }
    if ($c eq '$' && substr($text, $i) =~ /^(\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$)/) {
      my $tag = $1; my $j = index($text, $tag, $i + length $tag); $j = $n if $j < 0;
      my $body = substr($text, $i + length $tag, $j - $i - length $tag);
      $line += ($body =~ tr/\n//); $start ||= $line;
      push @bodies, $body; $cur .= " \$BODY$#bodies\$ "; $blank .= " \$BODY$#bodies\$ ";
      $i = $j + length $tag; next;
    }
    if ($c eq ';') { push @st, [$start || $line, $cur, $blank]; ($cur, $blank, $start) = ('', '', 0); $i++; next }
    if ($c eq "\n") { $line++; $bol = 1 }
    $start ||= $line if $c =~ /\S/;
    $cur .= $c; $blank .= $c; $i++;
  }
  push @st, [$start || $line, $cur, $blank] if $cur =~ /\S/;
  my (%newtab, %newcol, @found);
  my $id = qr/(?:"[^"]+"|[A-Za-z_][A-Za-z_0-9\$]*)(?:\.(?:"[^"]+"|[A-Za-z_][A-Za-z_0-9\$]*))?/;
  my $norm = sub { my $x = lc shift; $x =~ s/"//g; $x =~ s/^finote\.//; $x };
  for my $s (@st) {
    my ($ln, $raw, $b) = @$s;
    (my $u = $b) =~ s/\s+/ /g; $u =~ s/^ //; $u =~ s/ $//;
    my $flag = sub { push @found, "$name:$ln: $_[0]" };
    if ($u =~ /^CREATE (?:(?:GLOBAL |LOCAL )?(?:TEMP|TEMPORARY|UNLOGGED) )?TABLE (?:IF NOT EXISTS )?($id)/i) { $newtab{$norm->($1)} = 1; next }
    if ($u =~ /^DROP (TABLE|SCHEMA|TYPE|DOMAIN|SEQUENCE|MATERIALIZED VIEW) (?:IF EXISTS )?(.*)$/i) {
      my ($what, $names) = (lc $1, $2);
      my @names = grep { length } map { $norm->($_) } split /\s*,\s*/, ($names =~ s/\s+(CASCADE|RESTRICT)\s*$//ir);
      next if $what eq 'table' && @names && !grep { !$newtab{$_} } @names;
      $flag->("DROP \U$what\E " . join(', ', @names) . " (drops what it holds)"); next;
    }
    if ($u =~ /^DROP .* CASCADE$/i) { $flag->("DROP ... CASCADE (may drop dependent columns or tables)"); next }
    if ($u =~ /^TRUNCATE\b/i) { $flag->("TRUNCATE (deletes rows)"); next }
    if ($u =~ /^(?:WITH .* )?DELETE FROM ($id)/i) { $flag->("DELETE FROM " . $norm->($1) . " (deletes rows)") unless $newtab{$norm->($1)}; next }
    if ($u =~ /^ALTER EXTENSION \S+ DROP (.*)$/i) { $flag->("ALTER EXTENSION ... DROP $1 (removes it from the extension and from pg_dump's config registration)"); next }
    while ($raw =~ /pg_extension_config_dump\s*\(\s*'([^']*)'\s*(?:::\s*regclass\s*)?,\s*'((?:[^']|'')*)'/gi) {
      my ($t, $cond) = ($norm->($1), $2);
      $flag->("pg_extension_config_dump('$t', '$cond') dumps only part of an existing table") if length $cond && !$newtab{$t};
    }
    if ($u =~ /^DO\b/i) {
      while ($u =~ /\$BODY(\d+)\$/g) {
        my $body = $bodies[$1];
        for my $re (qr/\bDROP\s+(?:TABLE|SCHEMA|COLUMN)\b/i, qr/\bTRUNCATE\b/i, qr/\bDELETE\s+FROM\b/i,
                    qr/\bALTER\s+COLUMN\s+\S+\s+(?:SET\s+DATA\s+)?TYPE\b/i, qr/\bSET\s+NOT\s+NULL\b/i,
                    qr/\bRENAME\b/i, qr/\bALTER\s+TABLE\s+\S+\s+DROP\s+(?!CONSTRAINT\b)/i) {
          if ($body =~ $re) { (my $m = $&) =~ s/\s+/ /g; $flag->("DO block containing \U$m\E"); last }
        }
      }
      next;
    }
    if ($u =~ /^ALTER TABLE (?:IF EXISTS )?(?:ONLY )?($id) (.*)$/i) {
      my ($t, $acts) = ($norm->($1), $2);
      next if $newtab{$t};
      if ($acts =~ /^RENAME\b/i) { $flag->("ALTER TABLE $t $acts (old clients and dumps lose it)"); next }
      if ($acts =~ /^SET SCHEMA\b/i) { $flag->("ALTER TABLE $t SET SCHEMA (moves it away)"); next }
      my @acts; my ($d, $a) = (0, '');
      for my $ch (split //, $acts) {
        $d++ if $ch eq '('; $d-- if $ch eq ')';
        if ($ch eq ',' && !$d) { push @acts, $a; $a = ''; next }
        $a .= $ch;
      }
      push @acts, $a;
      for my $act (map { s/^\s+|\s+$//gr } @acts) {
        if ($act =~ /^ADD (?:COLUMN )?(?:IF NOT EXISTS )?($id) (.*)$/i && $act !~ /^ADD (?:CONSTRAINT|PRIMARY|UNIQUE|CHECK|FOREIGN|EXCLUDE)\b/i) {
          my ($c, $def) = ($norm->($1), $2);
          $newcol{"$t.$c"} = 1;
          $flag->("ADD COLUMN $t.$c NOT NULL without DEFAULT (fails on existing rows)")
            if $def =~ /\bNOT NULL\b/i && $def !~ /\b(?:DEFAULT|GENERATED)\b/i;
          next;
        }
        if ($act =~ /^DROP (?!CONSTRAINT\b)(?:COLUMN )?(?:IF EXISTS )?($id)/i) {
          my $c = $norm->($1);
          $flag->("DROP COLUMN $t.$c (drops its data)") unless $newcol{"$t.$c"}; next;
        }
        if ($act =~ /^ALTER (?:COLUMN )?($id) (?:SET DATA )?TYPE\b/i) {
          my $c = $norm->($1);
          $flag->("ALTER COLUMN $t.$c TYPE (rewrites or narrows its data)") unless $newcol{"$t.$c"}; next;
        }
        if ($act =~ /^ALTER (?:COLUMN )?($id) SET NOT NULL\b/i) {
          my $c = $norm->($1);
          $flag->("ALTER COLUMN $t.$c SET NOT NULL (narrows an existing column)") unless $newcol{"$t.$c"}; next;
        }
      }
    }
  }
  if (@found) {
    if (@markers) {
      print "  $_ (allowed by the marker)\n" for @found;
      print "  marker $_\n" for @markers;
    } else {
      $bad++;
      print "  REFUSED $_\n" for @found;
      print "  $name: a destructive change needs a line '-- finote: destructive: <what> ; data migration: <where documented>'\n";
    }
  }
  if (@badmarkers) {
    $bad++;
    print "  REFUSED $_: a destructive marker needs '; data migration: <where documented>'\n" for @badmarkers;
  }
}
exit($bad ? 1 : 0);
