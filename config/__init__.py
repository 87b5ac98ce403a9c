"""Settings and the project-wide error tree: the base every other package builds on."""
