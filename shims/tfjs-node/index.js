"use strict";
// danfojs-node requires @tensorflow/tfjs-node; route it to tfjs-node-gpu when present, else pure tfjs.
let tf;
try { tf = require("@tensorflow/tfjs-node-gpu"); } catch (_) { tf = require("@tensorflow/tfjs"); }
module.exports = tf;
