"""Recommender service: suggests products from a YAML catalogue."""
import yaml
from flask import Flask, jsonify

app = Flask(__name__)

with open("catalogue.yaml") as fh:
    CATALOGUE = yaml.safe_load(fh)


@app.get("/recommendations/<int:product_id>")
def recommendations(product_id: int):
    return jsonify([p for p in CATALOGUE if p["id"] != product_id][:3])
