"""The site registry (被检查场所): create, find, search and import."""

from server.sites.service import create_site, find_by_code, get_site, import_sites, search_sites

__all__ = ["create_site", "find_by_code", "get_site", "import_sites", "search_sites"]
