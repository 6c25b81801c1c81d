// Jobs runs what Specs describes; every user of Jobs also reads specs, so Specs comes with it.
@_exported import Specs
