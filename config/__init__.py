"""Settings, the meeting calendar and the one error tree: the base every other package
builds on."""
