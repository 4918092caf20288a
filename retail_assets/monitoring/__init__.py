"""The weekly operating loop's plain logic: score a week, measure it on its delayed labels, watch drift."""
