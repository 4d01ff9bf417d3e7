"""French departments and regions (2016 regions), as stored on centres and sites."""

from django.db import models


class Region(models.TextChoices):
    AUVERGNE_RHONE_ALPES = "ARA", "Auvergne-Rhône-Alpes"
    BOURGOGNE_FRANCHE_COMTE = "BFC", "Bourgogne-Franche-Comté"
    BRETAGNE = "BRE", "Bretagne"
    CENTRE_VAL_DE_LOIRE = "CVL", "Centre-Val de Loire"
    CORSE = "COR", "Corse"
    GRAND_EST = "GES", "Grand Est"
    HAUTS_DE_FRANCE = "HDF", "Hauts-de-France"
    ILE_DE_FRANCE = "IDF", "Île-de-France"
    NORMANDIE = "NOR", "Normandie"
    NOUVELLE_AQUITAINE = "NAQ", "Nouvelle-Aquitaine"
    OCCITANIE = "OCC", "Occitanie"
    PAYS_DE_LA_LOIRE = "PDL", "Pays de la Loire"
    PROVENCE_ALPES_COTE_D_AZUR = "PAC", "Provence-Alpes-Côte d’Azur"
    GUADELOUPE = "GUA", "Guadeloupe"
    MARTINIQUE = "MTQ", "Martinique"
    GUYANE = "GUF", "Guyane"
    LA_REUNION = "LRE", "La Réunion"
    MAYOTTE = "MAY", "Mayotte"


R = Region
# code -> (name, region)
DEPARTMENTS = {
    "01": ("Ain", R.AUVERGNE_RHONE_ALPES), "02": ("Aisne", R.HAUTS_DE_FRANCE),
    "03": ("Allier", R.AUVERGNE_RHONE_ALPES),
    "04": ("Alpes-de-Haute-Provence", R.PROVENCE_ALPES_COTE_D_AZUR),
    "05": ("Hautes-Alpes", R.PROVENCE_ALPES_COTE_D_AZUR),
    "06": ("Alpes-Maritimes", R.PROVENCE_ALPES_COTE_D_AZUR),
    "07": ("Ardèche", R.AUVERGNE_RHONE_ALPES), "08": ("Ardennes", R.GRAND_EST),
    "09": ("Ariège", R.OCCITANIE), "10": ("Aube", R.GRAND_EST), "11": ("Aude", R.OCCITANIE),
    "12": ("Aveyron", R.OCCITANIE), "13": ("Bouches-du-Rhône", R.PROVENCE_ALPES_COTE_D_AZUR),
    "14": ("Calvados", R.NORMANDIE), "15": ("Cantal", R.AUVERGNE_RHONE_ALPES),
    "16": ("Charente", R.NOUVELLE_AQUITAINE), "17": ("Charente-Maritime", R.NOUVELLE_AQUITAINE),
    "18": ("Cher", R.CENTRE_VAL_DE_LOIRE), "19": ("Corrèze", R.NOUVELLE_AQUITAINE),
    "2A": ("Corse-du-Sud", R.CORSE), "2B": ("Haute-Corse", R.CORSE),
    "21": ("Côte-d’Or", R.BOURGOGNE_FRANCHE_COMTE), "22": ("Côtes-d’Armor", R.BRETAGNE),
    "23": ("Creuse", R.NOUVELLE_AQUITAINE), "24": ("Dordogne", R.NOUVELLE_AQUITAINE),
    "25": ("Doubs", R.BOURGOGNE_FRANCHE_COMTE), "26": ("Drôme", R.AUVERGNE_RHONE_ALPES),
    "27": ("Eure", R.NORMANDIE), "28": ("Eure-et-Loir", R.CENTRE_VAL_DE_LOIRE),
    "29": ("Finistère", R.BRETAGNE), "30": ("Gard", R.OCCITANIE),
    "31": ("Haute-Garonne", R.OCCITANIE), "32": ("Gers", R.OCCITANIE),
    "33": ("Gironde", R.NOUVELLE_AQUITAINE), "34": ("Hérault", R.OCCITANIE),
    "35": ("Ille-et-Vilaine", R.BRETAGNE), "36": ("Indre", R.CENTRE_VAL_DE_LOIRE),
    "37": ("Indre-et-Loire", R.CENTRE_VAL_DE_LOIRE), "38": ("Isère", R.AUVERGNE_RHONE_ALPES),
    "39": ("Jura", R.BOURGOGNE_FRANCHE_COMTE), "40": ("Landes", R.NOUVELLE_AQUITAINE),
    "41": ("Loir-et-Cher", R.CENTRE_VAL_DE_LOIRE), "42": ("Loire", R.AUVERGNE_RHONE_ALPES),
    "43": ("Haute-Loire", R.AUVERGNE_RHONE_ALPES), "44": ("Loire-Atlantique", R.PAYS_DE_LA_LOIRE),
    "45": ("Loiret", R.CENTRE_VAL_DE_LOIRE), "46": ("Lot", R.OCCITANIE),
    "47": ("Lot-et-Garonne", R.NOUVELLE_AQUITAINE), "48": ("Lozère", R.OCCITANIE),
    "49": ("Maine-et-Loire", R.PAYS_DE_LA_LOIRE), "50": ("Manche", R.NORMANDIE),
    "51": ("Marne", R.GRAND_EST), "52": ("Haute-Marne", R.GRAND_EST),
    "53": ("Mayenne", R.PAYS_DE_LA_LOIRE), "54": ("Meurthe-et-Moselle", R.GRAND_EST),
    "55": ("Meuse", R.GRAND_EST), "56": ("Morbihan", R.BRETAGNE), "57": ("Moselle", R.GRAND_EST),
    "58": ("Nièvre", R.BOURGOGNE_FRANCHE_COMTE), "59": ("Nord", R.HAUTS_DE_FRANCE),
    "60": ("Oise", R.HAUTS_DE_FRANCE), "61": ("Orne", R.NORMANDIE),
    "62": ("Pas-de-Calais", R.HAUTS_DE_FRANCE), "63": ("Puy-de-Dôme", R.AUVERGNE_RHONE_ALPES),
    "64": ("Pyrénées-Atlantiques", R.NOUVELLE_AQUITAINE), "65": ("Hautes-Pyrénées", R.OCCITANIE),
    "66": ("Pyrénées-Orientales", R.OCCITANIE), "67": ("Bas-Rhin", R.GRAND_EST),
    "68": ("Haut-Rhin", R.GRAND_EST), "69": ("Rhône", R.AUVERGNE_RHONE_ALPES),
    "70": ("Haute-Saône", R.BOURGOGNE_FRANCHE_COMTE),
    "71": ("Saône-et-Loire", R.BOURGOGNE_FRANCHE_COMTE), "72": ("Sarthe", R.PAYS_DE_LA_LOIRE),
    "73": ("Savoie", R.AUVERGNE_RHONE_ALPES), "74": ("Haute-Savoie", R.AUVERGNE_RHONE_ALPES),
    "75": ("Paris", R.ILE_DE_FRANCE), "76": ("Seine-Maritime", R.NORMANDIE),
    "77": ("Seine-et-Marne", R.ILE_DE_FRANCE), "78": ("Yvelines", R.ILE_DE_FRANCE),
    "79": ("Deux-Sèvres", R.NOUVELLE_AQUITAINE), "80": ("Somme", R.HAUTS_DE_FRANCE),
    "81": ("Tarn", R.OCCITANIE), "82": ("Tarn-et-Garonne", R.OCCITANIE),
    "83": ("Var", R.PROVENCE_ALPES_COTE_D_AZUR), "84": ("Vaucluse", R.PROVENCE_ALPES_COTE_D_AZUR),
    "85": ("Vendée", R.PAYS_DE_LA_LOIRE), "86": ("Vienne", R.NOUVELLE_AQUITAINE),
    "87": ("Haute-Vienne", R.NOUVELLE_AQUITAINE), "88": ("Vosges", R.GRAND_EST),
    "89": ("Yonne", R.BOURGOGNE_FRANCHE_COMTE),
    "90": ("Territoire de Belfort", R.BOURGOGNE_FRANCHE_COMTE), "91": ("Essonne", R.ILE_DE_FRANCE),
    "92": ("Hauts-de-Seine", R.ILE_DE_FRANCE), "93": ("Seine-Saint-Denis", R.ILE_DE_FRANCE),
    "94": ("Val-de-Marne", R.ILE_DE_FRANCE), "95": ("Val-d’Oise", R.ILE_DE_FRANCE),
    "971": ("Guadeloupe", R.GUADELOUPE), "972": ("Martinique", R.MARTINIQUE),
    "973": ("Guyane", R.GUYANE), "974": ("La Réunion", R.LA_REUNION), "976": ("Mayotte", R.MAYOTTE),
}  # fmt: skip

DEPARTMENT_CHOICES = [(code, f"{code} – {name}") for code, (name, _region) in DEPARTMENTS.items()]


def region_of(department_code):
    """The region of a department code, or an empty string when the code is unknown."""
    entry = DEPARTMENTS.get(department_code)
    return entry[1] if entry else ""


__all__ = ["DEPARTMENTS", "DEPARTMENT_CHOICES", "Region", "region_of"]
