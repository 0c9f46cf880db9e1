"""The registry of the physical world (sites, rooms, shelving, boxes, sensor nodes) and its SQL store."""
