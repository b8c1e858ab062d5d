const express = require('express');
const _ = require('lodash');

const app = express();
app.get('/healthz', (_req, res) => res.send('ok'));
app.get('/products', (_req, res) => res.json(_.sortBy([{ id: 2 }, { id: 1 }], 'id')));
app.listen(process.env.PORT || 8080);
