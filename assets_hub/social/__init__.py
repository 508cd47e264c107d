"""Ready-made social posts: platform rules, caption templates, campaign packs and feeds.

Pure building blocks with no database, storage or HTTP: the API layer loads what the caller
may see, passes it in as plain data and turns the errors raised here into 4xx responses.

* :mod:`.platforms`  platform limits as data, and length counted as each platform counts it
* :mod:`.captions`   caption/alt-text templates (data, never code), filling, limit checks
* :mod:`.packs`      streamed ZIP packs with safe names and caps (:mod:`.names`,
  :mod:`.zipwriter`, :mod:`.packtext` do the parts)
* :mod:`.feeds`      Atom and JSON Feed documents; :mod:`.visibility` filters embargoes
"""
