// The Node peer of `make bench` (test/bench/README.md): the kind of stack the
// shim replaced, built the obvious way, to measure the shim against. Express
// and a `pg` pool of DB_POOL_MAX connections; each route is one call of the
// same finote function the shim's route makes, as a named (prepared)
// statement. Only what the bench drives: login (a session token) and GET of
// one note with it. Not a product: no cookies, CORS, limits or logging.
'use strict';
const express = require('express');
const { Pool } = require('pg');

const pool = new Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DB_POOL_MAX || 5),
});
const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: '1mb' }));

// SQLSTATEs as the shim's table answers them (shim/errors.c), the rest 500
const statuses = { 28000: 401, P0002: 404, 22023: 400, '22P02': 400 };
function fail(res, err) {
  const status = statuses[err.code] || 500;
  res.status(status).json({ error: { code: String(status) } });
}

function bearer(req) {
  const h = req.get('authorization') || '';
  return h.startsWith('Bearer ') ? h.slice(7) : null;
}

app.post('/api/auth/login', async (req, res) => {
  try {
    const r = await pool.query({
      name: 'login',
      text: 'SELECT finote.login($1, $2) AS j',
      values: [String(req.body.username), String(req.body.password)],
    });
    res.json(r.rows[0].j);
  } catch (err) {
    fail(res, err);
  }
});

app.get('/api/notes/:id', async (req, res) => {
  try {
    const r = await pool.query({
      name: 'note_get',
      text: "SELECT jsonb_build_object('note', finote.note_get($1, $2::uuid)) AS j",
      values: [bearer(req), req.params.id],
    });
    res.json(r.rows[0].j);
  } catch (err) {
    fail(res, err);
  }
});

const port = Number(process.env.PORT || 3331);
app.listen(port, '127.0.0.1', () => console.error(`peer: listening on 127.0.0.1:${port}`));
