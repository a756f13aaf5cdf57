"""Where parcs graphs come from, and what they carry.

``territory`` builds the embedded Artois network from the official layers; ``lines`` turns any
line layer into a graph (the same noding, snapping and chain merging); ``osm`` builds graphs
from OpenStreetMap (pyosmium files or osmnx downloads, ``_osmfile`` reads the files);
``places`` attaches places (parks, terrils, stations, towns) and finds them by name;
``osm_places`` reads places from OpenStreetMap (files with pyosmium, downloads with osmnx);
``summary`` measures a graph.
"""
