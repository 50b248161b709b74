"""The fault drill behind ``make chaos``: emails must survive a worker killed mid-send and a
broker that restarts. See ``chaos.run``."""
