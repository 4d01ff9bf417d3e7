"""Expected outcome of every route for each role (see ``test_url_matrix.py``).

One line per route: GET/POST for each role, in the order of ``ROLES``:
anonymous, staff_a, referent_a, staff_b, reviewer, reviewer_conflict, manager, logistics, superuser.
``L`` is a redirect to a login page.
"""

# fmt: off
EXPECTED = {
    'i18n/setlang/':
        '302/302 302/302 302/302 302/302 302/302 302/302 302/302 302/302 302/302',
    'gestion/impact/':
        'L/L L/L L/L L/L 403/403 403/403 200/405 403/403 200/405',
    'gestion/impact/export/<slug:table>.<str:file_format>':
        'L/L L/L L/L L/L 403/403 403/403 200/405 403/403 200/405',
    'gestion/impact/appels/<int:pk>/':
        'L/L L/L L/L L/L 403/403 403/403 200/405 403/403 200/405',
    'gestion/impact/appels/<int:pk>/export/<slug:table>.<str:file_format>':
        'L/L L/L L/L L/L 403/403 403/403 200/405 403/403 200/405',
    'gestion/impact/appels/<int:pk>/rapport.pdf':
        'L/L L/L L/L L/L 403/403 403/403 200/405 403/403 200/405',
    'gestion/impact/appels/<int:pk>/rapport/archiver/':
        'L/L L/L L/L L/L 403/403 403/403 405/302 403/403 405/302',
    'gestion/':
        'L/L L/L L/L L/L 200/200 200/200 200/200 200/200 200/200',
    'gestion/login/':
        '200/200 200/200 200/200 200/200 302/200 302/200 302/200 302/200 302/200',
    'gestion/logout/':
        '302/302 302/302 302/302 302/302 405/302 405/302 405/302 405/302 405/302',
    'gestion/password_change/':
        'L/L L/L L/L L/L 200/200 200/200 200/200 200/200 200/200',
    'gestion/password_change/done/':
        'L/L L/L L/L L/L 200/405 200/405 200/405 200/405 200/405',
    'gestion/autocomplete/':
        'L/L L/L L/L L/L 403/405 403/405 403/405 403/405 403/405',
    'gestion/jsi18n/':
        'L/L L/L L/L L/L 200/405 200/405 200/405 200/405 200/405',
    'gestion/r/<path:content_type_id>/<path:object_id>/':
        'L/L L/L L/L L/L 404/404 404/404 404/404 404/404 404/404',
    'gestion/auth/group/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 200/200',
    'gestion/auth/group/add/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 200/200',
    'gestion/auth/group/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 200/200',
    'gestion/auth/group/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 200/302',
    'gestion/auth/group/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 200/200',
    'gestion/auth/group/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/axes/accessattempt/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 200/200',
    'gestion/axes/accessattempt/add/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/axes/accessattempt/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 200/200',
    'gestion/axes/accessattempt/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 200/302',
    'gestion/axes/accessattempt/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 200/302',
    'gestion/axes/accessattempt/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/axes/accesslog/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 200/200',
    'gestion/axes/accesslog/add/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/axes/accesslog/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 200/200',
    'gestion/axes/accesslog/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 200/302',
    'gestion/axes/accesslog/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 200/302',
    'gestion/axes/accesslog/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/axes/accessfailurelog/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 200/200',
    'gestion/axes/accessfailurelog/add/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/axes/accessfailurelog/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 200/200',
    'gestion/axes/accessfailurelog/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 200/302',
    'gestion/axes/accessfailurelog/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 200/302',
    'gestion/axes/accessfailurelog/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/solidaire/document/<int:object_id>/telecharger/':
        'L/L L/L L/L L/L 403/403 403/403 404/404 404/404 404/404',
    'gestion/solidaire/document/<int:object_id>/progression/':
        'L/L L/L L/L L/L 403/403 403/403 200/302 200/302 200/302',
    'gestion/solidaire/document/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/solidaire/document/add/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/solidaire/document/<path:object_id>/history/':
        'L/L L/L L/L L/L 302/302 302/302 200/200 200/200 200/200',
    'gestion/solidaire/document/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/solidaire/document/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 200/302 200/302 200/302',
    'gestion/solidaire/document/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/solidaire/outboxemail/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/solidaire/outboxemail/add/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/solidaire/outboxemail/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/solidaire/outboxemail/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/solidaire/outboxemail/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 200/302 403/403 200/302',
    'gestion/solidaire/outboxemail/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/centres/user/<id>/password/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/centres/user/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/centres/user/add/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/centres/user/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/centres/user/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 200/302',
    'gestion/centres/user/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/centres/user/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/centres/partner/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/centres/partner/add/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/centres/partner/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/centres/partner/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/centres/partner/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/centres/partner/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/centres/centre/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/centres/centre/add/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/centres/centre/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/centres/centre/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/centres/centre/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/403 200/200',
    'gestion/centres/centre/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/centres/site/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/centres/site/add/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/centres/site/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/centres/site/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/centres/site/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/403 200/200',
    'gestion/centres/site/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/centres/membership/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/centres/membership/add/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/centres/membership/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/centres/membership/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 200/302 403/403 200/302',
    'gestion/centres/membership/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/centres/membership/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/centres/datarequest/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/centres/datarequest/add/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/centres/datarequest/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/centres/datarequest/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/centres/datarequest/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 200/302 403/403 200/302',
    'gestion/centres/datarequest/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/centres/accesslog/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/centres/accesslog/add/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/centres/accesslog/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/centres/accesslog/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/centres/accesslog/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 200/403 403/403 200/403',
    'gestion/centres/accesslog/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/appels/packtype/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/appels/packtype/add/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/appels/packtype/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/appels/packtype/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/appels/packtype/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/appels/packtype/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/appels/call/<path:object_id>/classement/':
        'L/L L/L L/L L/L 403/403 403/403 200/302 403/403 200/302',
    'gestion/appels/call/^([^/]+)/history/([^/]+)/$':
        'L/L L/L L/L L/L 200/405 200/405 200/405 200/405 200/405',
    'gestion/appels/call/':
        'L/L L/L L/L L/L 200/200 200/200 200/200 200/200 200/200',
    'gestion/appels/call/add/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/appels/call/<path:object_id>/history/':
        'L/L L/L L/L L/L 200/200 200/200 200/200 200/200 200/200',
    'gestion/appels/call/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/appels/call/<path:object_id>/change/':
        'L/L L/L L/L L/L 200/403 200/403 200/200 200/403 200/200',
    'gestion/appels/call/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/appels/calloffer/^([^/]+)/history/([^/]+)/$':
        'L/L L/L L/L L/L 200/405 200/405 200/405 403/405 200/405',
    'gestion/appels/calloffer/':
        'L/L L/L L/L L/L 200/200 200/200 200/200 403/403 200/200',
    'gestion/appels/calloffer/add/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/appels/calloffer/<path:object_id>/history/':
        'L/L L/L L/L L/L 200/200 200/200 200/200 403/403 200/200',
    'gestion/appels/calloffer/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/appels/calloffer/<path:object_id>/change/':
        'L/L L/L L/L L/L 200/403 200/403 200/403 403/403 200/403',
    'gestion/appels/calloffer/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/appels/applicationline/^([^/]+)/history/([^/]+)/$':
        'L/L L/L L/L L/L 200/405 404/405 200/405 403/405 200/405',
    'gestion/appels/applicationline/':
        'L/L L/L L/L L/L 200/200 200/200 200/200 403/403 200/200',
    'gestion/appels/applicationline/add/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/appels/applicationline/<path:object_id>/history/':
        'L/L L/L L/L L/L 200/200 404/404 200/200 403/403 200/200',
    'gestion/appels/applicationline/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/appels/applicationline/<path:object_id>/change/':
        'L/L L/L L/L L/L 200/403 302/403 200/403 403/403 200/403',
    'gestion/appels/applicationline/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/appels/application/<path:object_id>/pieces/<int:attachment_pk>/':
        'L/L L/L L/L L/L 200/200 404/404 200/200 200/200 200/200',
    'gestion/appels/application/^([^/]+)/history/([^/]+)/$':
        'L/L L/L L/L L/L 200/405 404/405 200/405 200/405 200/405',
    'gestion/appels/application/':
        'L/L L/L L/L L/L 200/200 200/200 200/200 200/200 200/200',
    'gestion/appels/application/add/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/appels/application/<path:object_id>/history/':
        'L/L L/L L/L L/L 200/200 404/404 200/200 200/200 200/200',
    'gestion/appels/application/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/appels/application/<path:object_id>/change/':
        'L/L L/L L/L L/L 200/403 302/403 200/200 200/403 200/200',
    'gestion/appels/application/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/appels/review/^([^/]+)/history/([^/]+)/$':
        'L/L L/L L/L L/L 200/405 404/405 200/405 404/405 200/405',
    'gestion/appels/review/':
        'L/L L/L L/L L/L 200/200 200/200 200/200 403/403 200/200',
    'gestion/appels/review/add/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/appels/review/<path:object_id>/history/':
        'L/L L/L L/L L/L 200/200 404/404 200/200 404/404 200/200',
    'gestion/appels/review/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/appels/review/<path:object_id>/change/':
        'L/L L/L L/L L/L 200/302 302/302 200/403 403/403 200/403',
    'gestion/appels/review/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/appels/score/^([^/]+)/history/([^/]+)/$':
        'L/L L/L L/L L/L 200/405 404/405 200/405 404/405 200/405',
    'gestion/appels/score/':
        'L/L L/L L/L L/L 200/200 200/200 200/200 403/403 200/200',
    'gestion/appels/score/add/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/appels/score/<path:object_id>/history/':
        'L/L L/L L/L L/L 200/200 404/404 200/200 404/404 200/200',
    'gestion/appels/score/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/appels/score/<path:object_id>/change/':
        'L/L L/L L/L L/L 200/403 302/403 200/403 403/403 200/403',
    'gestion/appels/score/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/appels/decision/^([^/]+)/history/([^/]+)/$':
        'L/L L/L L/L L/L 403/405 403/405 200/405 403/405 200/405',
    'gestion/appels/decision/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/appels/decision/add/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/appels/decision/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/appels/decision/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/appels/decision/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/appels/decision/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/appels/agreement/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/appels/agreement/add/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/appels/agreement/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/appels/agreement/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/appels/agreement/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 200/302 403/403 200/302',
    'gestion/appels/agreement/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/appels/surveyanswer/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/appels/surveyanswer/add/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/appels/surveyanswer/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 403/403 200/200',
    'gestion/appels/surveyanswer/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 200/302 403/403 200/302',
    'gestion/appels/surveyanswer/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 200/302 403/403 200/302',
    'gestion/appels/surveyanswer/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/equipements/devicemodel/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/equipements/devicemodel/add/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 200/200 200/200',
    'gestion/equipements/devicemodel/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/equipements/devicemodel/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 200/200 200/200',
    'gestion/equipements/devicemodel/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 200/403 200/200 200/200',
    'gestion/equipements/devicemodel/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/equipements/batch/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/equipements/batch/add/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 200/200 200/200',
    'gestion/equipements/batch/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/equipements/batch/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 200/302 200/302',
    'gestion/equipements/batch/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 200/403 200/200 200/200',
    'gestion/equipements/batch/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/equipements/item/<path:object_id>/parcours/':
        'L/L L/L L/L L/L 404/404 404/404 200/200 200/200 200/200',
    'gestion/equipements/item/process_import/':
        'L/L L/L L/L L/L 405/403 405/403 405/403 405/200 405/200',
    'gestion/equipements/item/import/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 200/200 200/200',
    'gestion/equipements/item/^([^/]+)/history/([^/]+)/$':
        'L/L L/L L/L L/L 403/405 403/405 200/405 200/405 200/405',
    'gestion/equipements/item/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/equipements/item/add/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 200/200 200/200',
    'gestion/equipements/item/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/equipements/item/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/equipements/item/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 200/403 200/200 200/200',
    'gestion/equipements/item/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/equipements/allocation/chiffres/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/equipements/allocation/<path:object_id>/preparer/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 200/400 200/400',
    'gestion/equipements/allocation/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/equipements/allocation/add/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/equipements/allocation/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/equipements/allocation/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/equipements/allocation/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 200/403 200/200 200/200',
    'gestion/equipements/allocation/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/equipements/allocateditem/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/equipements/allocateditem/add/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/equipements/allocateditem/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/equipements/allocateditem/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/equipements/allocateditem/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 200/403 200/302 200/302',
    'gestion/equipements/allocateditem/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/equipements/shipment/^([^/]+)/history/([^/]+)/$':
        'L/L L/L L/L L/L 403/405 403/405 200/405 200/405 200/405',
    'gestion/equipements/shipment/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/equipements/shipment/add/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/equipements/shipment/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/equipements/shipment/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/equipements/shipment/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 200/403 200/200 200/200',
    'gestion/equipements/shipment/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/equipements/invoice/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/equipements/invoice/add/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/equipements/invoice/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/equipements/invoice/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/equipements/invoice/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 200/403 200/403 200/403',
    'gestion/equipements/invoice/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/equipements/invoicecounter/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/equipements/invoicecounter/add/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/equipements/invoicecounter/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/equipements/invoicecounter/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/equipements/invoicecounter/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 200/403 200/403 200/403',
    'gestion/equipements/invoicecounter/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/equipements/supportticket/<path:object_id>/message/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 302/400 302/400',
    'gestion/equipements/supportticket/<path:object_id>/messages/<int:message_pk>/piece/':
        'L/L L/L L/L L/L 404/404 404/404 200/200 200/200 200/200',
    'gestion/equipements/supportticket/<path:object_id>/remplacer/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 302/400 302/400',
    'gestion/equipements/supportticket/^([^/]+)/history/([^/]+)/$':
        'L/L L/L L/L L/L 403/405 403/405 200/405 200/405 200/405',
    'gestion/equipements/supportticket/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/equipements/supportticket/add/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 200/200 200/200',
    'gestion/equipements/supportticket/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/equipements/supportticket/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/equipements/supportticket/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 200/403 200/200 200/200',
    'gestion/equipements/supportticket/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/equipements/replacementshipment/^([^/]+)/history/([^/]+)/$':
        'L/L L/L L/L L/L 403/405 403/405 200/405 200/405 200/405',
    'gestion/equipements/replacementshipment/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/equipements/replacementshipment/add/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/equipements/replacementshipment/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/equipements/replacementshipment/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/equipements/replacementshipment/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 200/403 200/302 200/302',
    'gestion/equipements/replacementshipment/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/equipements/itemreturn/^([^/]+)/history/([^/]+)/$':
        'L/L L/L L/L L/L 403/405 403/405 200/405 200/405 200/405',
    'gestion/equipements/itemreturn/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/equipements/itemreturn/add/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/equipements/itemreturn/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/equipements/itemreturn/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/equipements/itemreturn/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 200/403 200/302 200/302',
    'gestion/equipements/itemreturn/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/equipements/selectedapplication/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/equipements/selectedapplication/add/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/equipements/selectedapplication/<path:object_id>/history/':
        'L/L L/L L/L L/L 403/403 403/403 200/200 200/200 200/200',
    'gestion/equipements/selectedapplication/<path:object_id>/delete/':
        'L/L L/L L/L L/L 403/403 403/403 403/403 403/403 403/403',
    'gestion/equipements/selectedapplication/<path:object_id>/change/':
        'L/L L/L L/L L/L 403/403 403/403 200/403 200/403 200/403',
    'gestion/equipements/selectedapplication/<path:object_id>/':
        'L/L L/L L/L L/L 302/302 302/302 302/302 302/302 302/302',
    'gestion/^(?P<app_label>auth|axes|solidaire|centres|appels|equipements)/$':
        'L/L L/L L/L L/L 200/200 200/200 200/200 200/200 200/200',
    'gestion/(?P<url>.*)$':
        'L/L L/L L/L L/L 404/404 404/404 404/404 404/404 404/404',
    'compte/connexion/':
        '200/200 302/302 302/302 302/302 302/302 302/302 302/302 302/302 302/302',
    'compte/deconnexion/':
        '405/302 405/302 405/302 405/302 405/302 405/302 405/302 405/302 405/302',
    'compte/mot-de-passe/oublie/':
        '200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200',
    'compte/mot-de-passe/envoye/':
        '200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405',
    'compte/mot-de-passe/<uidb64>/<token>/':
        '200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200',
    'compte/mot-de-passe/change/':
        '200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405',
    'compte/invitation/<uidb64>/<token>/':
        '200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200',
    'compte/preferences/':
        'L/L 200/302 200/302 200/302 200/302 200/302 200/302 200/302 200/302',
    'compte/mes-donnees/':
        'L/L 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405',
    'compte/mes-donnees/export/':
        'L/L 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405',
    'compte/mes-donnees/effacement/':
        'L/L 405/302 405/302 405/302 405/302 405/302 405/302 405/302 405/302',
    'mon-centre/':
        'L/L 200/405 200/405 200/405 403/403 403/403 403/403 403/403 403/403',
    'mon-centre/modifier/':
        'L/L 403/403 200/400 200/400 403/403 403/403 403/403 403/403 403/403',
    'mon-centre/sites/nouveau/':
        'L/L 403/403 200/400 200/400 403/403 403/403 403/403 403/403 403/403',
    'mon-centre/sites/<int:pk>/':
        'L/L 403/403 200/400 404/404 403/403 403/403 403/403 403/403 403/403',
    'mon-centre/inviter/':
        'L/L 302/403 302/400 302/400 403/403 403/403 403/403 403/403 403/403',
    'mon-centre/signataires/':
        'L/L 302/403 302/302 302/302 403/403 403/403 403/403 403/403 403/403',
    'appels/':
        '200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405',
    'appels/<slug:slug>/':
        '200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405',
    'appels/<slug:slug>/resultats/':
        '200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405',
    'appels/<slug:slug>/candidater/':
        'L/L 405/302 405/302 405/302 403/403 403/403 403/403 403/403 403/403',
    'mon-espace/':
        'L/L 200/405 200/405 200/405 403/403 403/403 403/403 403/403 403/403',
    'candidatures/<int:pk>/':
        'L/L 200/405 200/405 404/405 403/403 403/403 403/403 403/403 403/403',
    'candidatures/<int:pk>/etape/<slug:step>/':
        'L/L 200/302 200/302 404/404 403/403 403/403 403/403 403/403 403/403',
    'candidatures/<int:pk>/deposer/':
        'L/L 405/302 405/302 405/404 403/403 403/403 403/403 403/403 403/403',
    'candidatures/<int:pk>/retirer/':
        'L/L 405/302 405/302 405/404 403/403 403/403 403/403 403/403 403/403',
    'candidatures/<int:pk>/pieces/<int:attachment_pk>/':
        'L/L 200/405 200/405 404/405 403/403 403/403 403/403 403/403 403/403',
    'candidatures/<int:pk>/pieces/<int:attachment_pk>/supprimer/':
        'L/L 405/302 405/302 405/404 403/403 403/403 403/403 403/403 403/403',
    'candidatures/<int:pk>/convention/':
        'L/L 200/403 200/400 404/404 403/403 403/403 403/403 403/403 403/403',
    'candidatures/<int:pk>/convention/pdf/':
        'L/L 404/405 404/405 404/405 403/403 403/403 403/403 403/403 403/403',
    '':
        '200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405',
    'candidatures/<int:pk>/suivi/':
        'L/L 200/405 200/405 404/405 403/403 403/403 403/403 403/403 403/403',
    'candidatures/<int:pk>/enquete/':
        'L/L 302/400 302/400 404/404 403/403 403/403 403/403 403/403 403/403',
    'expeditions/<int:pk>/reception/':
        'L/L 405/400 405/400 405/404 403/403 403/403 403/403 403/403 403/403',
    'factures/<int:pk>/':
        'L/L 200/405 200/405 404/405 403/403 403/403 403/403 403/403 403/403',
    'factures/<int:pk>/pdf/':
        'L/L 404/405 404/405 404/405 403/403 403/403 403/403 403/403 403/403',
    'sav/':
        'L/L 200/405 200/405 200/405 403/403 403/403 403/403 403/403 403/403',
    'sav/nouveau/':
        'L/L 200/400 200/400 200/400 403/403 403/403 403/403 403/403 403/403',
    'sav/<int:pk>/':
        'L/L 200/400 200/400 404/404 403/403 403/403 403/403 403/403 403/403',
    'sav/<int:pk>/messages/<int:message_pk>/piece/':
        'L/L 200/405 200/405 404/405 403/403 403/403 403/403 403/403 403/403',
    'sav/<int:pk>/remplacements/<int:shipment_pk>/reception/':
        'L/L 405/302 405/302 405/404 403/403 403/403 403/403 403/403 403/403',
}
# fmt: on
