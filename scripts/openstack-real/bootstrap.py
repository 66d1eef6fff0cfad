"""Makes what the tests use in a freshly started real cloud, through the services' own APIs.

As the cloud's admin: a project and a user (member role) with an application credential,
a flavor, a network for the servers' ports, an external network with a router for the
floating IPs, and two images in Glance. Writes them as JSON to the path given; run once
per cloud (scripts/openstack-real.sh skips it when that file exists).
Usage: bootstrap.py KEYSTONE_URL ADMIN_PASSWORD OUT_JSON
"""
import json
import sys
import time
import urllib.error
import urllib.request

PROJECT, USER, PASSWORD, DOMAIN = 'rdo-ci', 'sluice', 'sluice-real-cloud', 'Default'


def call(method, url, token=None, body=None, headers=None, data=None, ok=(200, 201, 202, 204)):
    h = {'Accept': 'application/json'}
    if token:
        h['X-Auth-Token'] = token
    if body is not None:
        data = json.dumps(body).encode()
        h['Content-Type'] = 'application/json'
    h.update(headers or {})
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=120) as res:
            text = res.read().decode() or 'null'
            return res.status, res.headers, json.loads(text) if text.strip().startswith(('{', '[')) else text
    except urllib.error.HTTPError as e:
        if e.code in ok:
            return e.code, e.headers, None
        raise SystemExit(f'{method} {url}: HTTP {e.code}: {e.read().decode()[:500]}')


def token(keystone, user, password, project):
    body = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {'name': user, 'domain': {'name': DOMAIN}, 'password': password}}},
                     'scope': {'project': {'name': project, 'domain': {'name': DOMAIN}}}}}
    _, headers, res = call('POST', f'{keystone}/auth/tokens', body=body)
    catalog = {e['type']: next(x['url'] for x in e['endpoints'] if x['interface'] == 'public') for e in res['token']['catalog'] if e['endpoints']}
    return headers['X-Subject-Token'], res['token'], catalog


def main():
    keystone, admin_password, out = sys.argv[1].rstrip('/'), sys.argv[2], sys.argv[3]
    admin, _, catalog = token(keystone, 'admin', admin_password, 'admin')
    project = call('POST', f'{keystone}/projects', admin, {'project': {'name': PROJECT, 'domain_id': 'default'}})[2]['project']
    user = call('POST', f'{keystone}/users', admin, {'user': {'name': USER, 'password': PASSWORD, 'domain_id': 'default', 'default_project_id': project['id']}})[2]['user']
    roles = call('GET', f'{keystone}/roles?name=member', admin)[2]['roles']
    call('PUT', f"{keystone}/projects/{project['id']}/users/{user['id']}/roles/{roles[0]['id']}", admin)

    mine, _, _ = token(keystone, USER, PASSWORD, PROJECT)
    cred = call('POST', f"{keystone}/users/{user['id']}/application_credentials", mine, {'application_credential': {'name': 'sluice-tests'}})[2]['application_credential']

    compute, network, image = catalog['compute'], catalog['network'].rstrip('/'), catalog['image'].rstrip('/')
    flavor = call('POST', f'{compute}/flavors', admin, {'flavor': {'name': 'sluice.tiny', 'ram': 64, 'vcpus': 1, 'disk': 1, 'id': 'sluice-tiny'}})[2]['flavor']

    def net(name, physnet, cidr, external, owner):
        owned = {'project_id': owner} if owner else {}
        n = call('POST', f'{network}/v2.0/networks', admin, {'network': {
            'name': name, 'router:external': external, 'provider:network_type': 'flat', 'provider:physical_network': physnet, **owned}})[2]['network']
        s = call('POST', f'{network}/v2.0/subnets', admin, {'subnet': {
            'network_id': n['id'], 'ip_version': 4, 'cidr': cidr, 'enable_dhcp': False, **owned}})[2]['subnet']
        return n, s

    private, private_subnet = net('sluice-net', 'tenant', '10.0.0.0/24', False, project['id'])
    public, _ = net('public', 'public', '203.0.113.0/24', True, None)
    router = call('POST', f'{network}/v2.0/routers', admin, {'router': {
        'name': 'sluice-router', 'project_id': project['id'], 'external_gateway_info': {'network_id': public['id']}}})[2]['router']
    call('PUT', f"{network}/v2.0/routers/{router['id']}/add_router_interface", admin, {'subnet_id': private_subnet['id']})

    images = {}
    for name in ('CentOS-7-x86_64', 'kilo-el7-golden'):
        made = call('POST', f'{image}/v2/images', mine, {'name': name, 'disk_format': 'raw', 'container_format': 'bare'})[2]
        call('PUT', f"{image}/v2/images/{made['id']}/file", mine, data=f'{name} disk\n'.encode(), headers={'Content-Type': 'application/octet-stream'})
        images[name] = made['id']
    for _ in range(60):
        if all(call('GET', f'{image}/v2/images/{i}', mine)[2]['status'] == 'active' for i in images.values()):
            break
        time.sleep(0.5)

    with open(out, 'w', encoding='utf-8') as f:
        json.dump({
            'authUrl': keystone, 'username': USER, 'password': PASSWORD, 'domain': DOMAIN, 'project': PROJECT, 'projectId': project['id'],
            'applicationCredentialId': cred['id'], 'applicationCredentialSecret': cred['secret'],
            'flavor': flavor['id'], 'network': private['id'], 'floatingNetwork': public['id'], 'images': images,
        }, f, indent=2)


if __name__ == '__main__':
    main()
