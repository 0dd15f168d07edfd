import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalogue, catalogueScopes, genericReadRule } from '../scripts/scope-catalogue/catalogue.js';
import { generate } from '../scripts/scope-catalogue/generate.js';
import { parseGoFile } from '../scripts/scope-catalogue/go-source.js';
import { GodoInterpreter, indexGodo, joinPath, sprintf } from '../scripts/scope-catalogue/godo-paths.js';
import { OperationMatcher, allScopes, isAliasScope, loadOperations, operationScopes } from '../scripts/scope-catalogue/openapi.js';
import { godoCalls, parseProviderTypes, usesSpaces } from '../scripts/scope-catalogue/provider.js';
import { REQUIRED_WITH, SCOPES } from '../src/lib/digitalocean/scope-catalogue.generated.js';
import { RESOURCE_TYPES } from '../src/lib/digitalocean/resource-scopes.generated.js';

/** Tiny stand-ins for godo, the provider and the spec, written to a temporary directory. */
const FIXTURES: Record<string, string> = {
  'godo/godo.go': `package godo

import "net/http"

type Client struct {
	Droplets       DropletsService
	DropletActions DropletActionsService
	Projects       ProjectsService
}

func NewClient(httpClient *http.Client) *Client {
	c := &Client{}
	c.Droplets = &DropletsServiceOp{client: c}
	c.DropletActions = &DropletActionsServiceOp{client: c}
	c.Projects = &ProjectsServiceOp{client: c}
	return c
}

func addOptions(s string, opt interface{}) (string, error) {
	return s + "?page=2", nil
}
`,
  'godo/droplets.go': `package godo

import (
	"context"
	"fmt"
	"net/http"
)

const dropletBasePath = "v2/droplets"

type DropletsServiceOp struct {
	client *Client
}

// Get shows fmt.Sprintf over a constant and a non-constant argument.
func (s *DropletsServiceOp) Get(ctx context.Context, dropletID int) (*Droplet, *Response, error) {
	path := fmt.Sprintf("%s/%d", dropletBasePath, dropletID)
	req, err := s.client.NewRequest(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, nil, err
	}
	return nil, nil, nil
}

func (s *DropletsServiceOp) List(ctx context.Context, opt *ListOptions) ([]Droplet, *Response, error) {
	path, err := addOptions(dropletBasePath, opt)
	if err != nil {
		return nil, nil, err
	}
	return s.list(ctx, path)
}

func (s *DropletsServiceOp) list(ctx context.Context, path string) ([]Droplet, *Response, error) {
	req, err := s.client.NewRequest(ctx, http.MethodGet, path, nil)
	return nil, nil, err
}

func (s *DropletsServiceOp) Create(ctx context.Context, createRequest *DropletCreateRequest) (*Droplet, *Response, error) {
	req, err := s.client.NewRequest(ctx, "POST", dropletBasePath, createRequest)
	return nil, nil, err
}
`,
  'godo/droplet_actions.go': `package godo

import (
	"context"
	"fmt"
	"net/http"
)

type DropletActionsServiceOp struct {
	client *Client
}

func (s *DropletActionsServiceOp) PowerOff(ctx context.Context, id int) (*Action, *Response, error) {
	request := &ActionRequest{"type": "power_off"}
	return s.doAction(ctx, id, request)
}

func (s *DropletActionsServiceOp) doAction(ctx context.Context, id int, request *ActionRequest) (*Action, *Response, error) {
	if id < 1 {
		return nil, nil, NewArgError("id", "cannot be less than 1")
	}
	path := dropletActionPath(id)
	req, err := s.client.NewRequest(ctx, http.MethodPost, path, request)
	return nil, nil, err
}

func dropletActionPath(dropletID int) string {
	return fmt.Sprintf("v2/droplets/%d/actions", dropletID)
}
`,
  'godo/projects.go': `package godo

import (
	"context"
	"net/http"
	"path"
)

const (
	projectsBasePath = "/v2/projects"
)

type ProjectsServiceOp struct {
	client *Client
}

func (p *ProjectsServiceOp) AssignResources(ctx context.Context, projectID string, resources ...interface{}) ([]ProjectResource, *Response, error) {
	path := path.Join(projectsBasePath, projectID, "resources")
	req, err := p.client.NewRequest(ctx, http.MethodPost, path, nil)
	return nil, nil, err
}
`,
  'spec/specification/DigitalOcean-public.v2.yaml': `openapi: "3.0.0"
paths:
  /v2/droplets:
    get:
      $ref: "resources/droplets/droplets_list.yml"
    post:
      $ref: "resources/droplets/droplets_create.yml"
  /v2/droplets/{droplet_id}:
    get:
      $ref: "resources/droplets/droplets_get.yml"
  /v2/droplets/{droplet_id}/actions:
    post:
      $ref: "resources/droplets/dropletActions_post.yml"
  /v2/projects/{project_id}/resources:
    post:
      $ref: "resources/projects/projects_assign_resources.yml"
  /v2/volumes:
    post:
      $ref: "resources/volumes/volumes_create.yml"
`,
  'spec/specification/resources/droplets/droplets_list.yml': `operationId: droplets_list
security:
  - bearer_auth:
    - 'droplet:read'
`,
  'spec/specification/resources/droplets/droplets_create.yml': `operationId: droplets_create
security:
  - bearer_auth:
    - 'droplet:create'
`,
  'spec/specification/resources/droplets/droplets_get.yml': `operationId: droplets_get
security:
  - bearer_auth:
    - 'droplet:read'
`,
  'spec/specification/resources/droplets/dropletActions_post.yml': `operationId: dropletActions_post
security:
  - bearer_auth:
    - 'droplet:update'
`,
  'spec/specification/resources/projects/projects_assign_resources.yml': `operationId: projects_assign_resources
security:
  - bearer_auth:
    - 'project:assign_resource'
`,
  'spec/specification/resources/volumes/volumes_create.yml': `operationId: volumes_create
security:
  - bearer_auth:
    - 'api:write'
    - 'block_storage:create'
`,
  'provider/go.mod': `module example.com/provider

go 1.23
`,
  'provider/digitalocean/provider.go': `package digitalocean

import (
	"example.com/provider/digitalocean/droplet"
	"example.com/provider/digitalocean/spaces"
)

func Provider() *schema.Provider {
	p := &schema.Provider{
		DataSourcesMap: map[string]*schema.Resource{
			"digitalocean_droplet": droplet.DataSourceDigitalOceanDroplet(),
		},
		ResourcesMap: map[string]*schema.Resource{
			"digitalocean_droplet":       droplet.ResourceDigitalOceanDroplet(),
			"digitalocean_spaces_bucket": spaces.ResourceDigitalOceanBucket(),
		},
	}
	return p
}
`,
  'provider/digitalocean/droplet/resource_droplet.go': `package droplet

import (
	"context"

	"example.com/provider/digitalocean/util"
)

func ResourceDigitalOceanDroplet() *schema.Resource {
	return &schema.Resource{
		CreateContext: resourceDigitalOceanDropletCreate,
		UpdateContext: resourceDigitalOceanDropletUpdate,
	}
}

func resourceDigitalOceanDropletCreate(ctx context.Context, d *schema.ResourceData, meta interface{}) diag.Diagnostics {
	client := meta.(*config.CombinedConfig).GodoClient()
	droplet, _, err := client.Droplets.Create(context.Background(), opts)
	return util.Assign(client, droplet)
}

func resourceDigitalOceanDropletUpdate(ctx context.Context, d *schema.ResourceData, meta interface{}) diag.Diagnostics {
	client := meta.(*config.CombinedConfig).GodoClient()
	_, _, err := client.DropletActions.PowerOff(context.Background(), id)
	return nil
}
`,
  'provider/digitalocean/droplet/datasource_droplet.go': `package droplet

func DataSourceDigitalOceanDroplet() *schema.Resource {
	return &schema.Resource{ReadContext: dataSourceDigitalOceanDropletRead}
}

func dataSourceDigitalOceanDropletRead(ctx context.Context, d *schema.ResourceData, meta interface{}) diag.Diagnostics {
	droplets := meta.(*config.CombinedConfig).GodoClient().Droplets
	_, _, err := droplets.Get(context.Background(), id)
	return nil
}
`,
  'provider/digitalocean/droplet/sweep.go': `package droplet

func sweepDroplets(region string) error {
	client := sweep.SharedClient(region)
	_, err := client.Droplets.Delete(context.Background(), 1)
	return err
}
`,
  'provider/digitalocean/util/assign.go': `package util

func Assign(client *godo.Client, droplet *godo.Droplet) error {
	_, _, err := client.Projects.AssignResources(context.Background(), "p", droplet.URN())
	return err
}
`,
  'provider/digitalocean/spaces/resource_spaces_bucket.go': `package spaces

import "github.com/aws/aws-sdk-go/service/s3"

func ResourceDigitalOceanBucket() *schema.Resource {
	return &schema.Resource{CreateContext: resourceDigitalOceanBucketCreate}
}

func resourceDigitalOceanBucketCreate(ctx context.Context, d *schema.ResourceData, meta interface{}) diag.Diagnostics {
	client, err := meta.(*config.CombinedConfig).SpacesClient(region)
	svc := s3.New(client)
	return nil
}
`,
};

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'scope-catalogue-test-'));
  for (const [path, text] of Object.entries(FIXTURES)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function godoFixture(): GodoInterpreter {
  const files = ['godo.go', 'droplets.go', 'droplet_actions.go', 'projects.go'].map((f) =>
    parseGoFile(f, readFileSync(join(root, 'godo', f), 'utf8')),
  );
  return new GodoInterpreter(indexGodo(files));
}

describe('godo path resolution', () => {
  it('resolves constants and fmt.Sprintf, with {} for non-constant arguments', () => {
    expect(godoFixture().requestsOf('Droplets', 'Get')).toEqual([{ method: 'GET', path: 'v2/droplets/{}' }]);
  });

  it('follows helpers: doAction on the receiver, then a package-level path function', () => {
    expect(godoFixture().requestsOf('DropletActions', 'PowerOff')).toEqual([{ method: 'POST', path: 'v2/droplets/{}/actions' }]);
  });

  it('binds a helper parameter to the caller argument; addOptions only adds a query string', () => {
    expect(godoFixture().requestsOf('Droplets', 'List')).toEqual([{ method: 'GET', path: 'v2/droplets' }]);
  });

  it('reads literal methods and path.Join', () => {
    const godo = godoFixture();
    expect(godo.requestsOf('Droplets', 'Create')).toEqual([{ method: 'POST', path: 'v2/droplets' }]);
    expect(godo.requestsOf('Projects', 'AssignResources')).toEqual([{ method: 'POST', path: '/v2/projects/{}/resources' }]);
  });

  it('knows no requests for methods godo does not have', () => {
    expect(godoFixture().requestsOf('Droplets', 'Teleport')).toEqual([]);
    expect(godoFixture().hasMethod('Droplets', 'Teleport')).toBe(false);
  });

  it('formats like fmt.Sprintf and path.Join', () => {
    expect(sprintf('%s/%d/x%%', ['v2/a', null])).toBe('v2/a/{}/x%');
    expect(joinPath(['/v2/projects/', null, 'resources'])).toBe('/v2/projects/{}/resources');
  });
});

describe('spec reading and matching', () => {
  it('loads operations with their scopes, dropping alias scopes listed beside granular ones', () => {
    const ops = loadOperations(join(root, 'spec/specification'));
    const create = ops.find((o) => o.operationId === 'volumes_create');
    expect(create?.scopes).toEqual(['block_storage:create']);
    expect(create?.mentioned).toEqual(['api:write', 'block_storage:create']);
    expect(allScopes(ops)).toContain('api:write');
  });

  it('treats granular scopes in one requirement as all needed, separate requirements as alternatives', () => {
    expect(operationScopes([{ bearer_auth: ['sizes:read', 'regions:read'] }])).toEqual(['regions:read', 'sizes:read']);
    expect(operationScopes([{ bearer_auth: ['api:read', 'api:write', 'block_storage:read'] }])).toEqual(['block_storage:read']);
    expect(operationScopes([{ bearer_auth: ['domain:create'] }, { bearer_auth: ['domain:update'] }])).toEqual(['domain:create']);
    expect(isAliasScope('api:read')).toBe(true);
    expect(isAliasScope('droplet:read')).toBe(false);
  });

  it('matches godo paths to spec templates whatever the parameter names, ignoring query strings', () => {
    const matcher = new OperationMatcher(loadOperations(join(root, 'spec/specification')));
    expect(matcher.match('POST', '/v2/droplets/{}/actions').map((o) => o.operationId)).toEqual(['dropletActions_post']);
    expect(matcher.match('GET', '/v2/droplets?page=2').map((o) => o.operationId)).toEqual(['droplets_list']);
    expect(matcher.match('GET', '/v2/droplets/{}').map((o) => o.operationId)).toEqual(['droplets_get']);
    expect(matcher.match('DELETE', '/v2/droplets/{}')).toEqual([]);
  });
});

describe('REQUIRED_WITH', () => {
  const scopes = ['api:read', 'api:write', 'droplet:create', 'droplet:read', 'regions:read', 'sizes:read', 'tag:create'];

  it('applies the generic read rule only where the read scope exists, never to alias scopes', () => {
    const rule = genericReadRule(scopes);
    expect(rule.get('droplet:create')).toEqual(['droplet:read']);
    expect(rule.has('droplet:read')).toBe(false);
    expect(rule.has('tag:create')).toBe(false);
    expect(rule.has('api:write')).toBe(false);
  });

  it('merges required-scopes.json facts and drops names the spec does not know, with a warning', () => {
    const warnings: string[] = [];
    const catalogue = buildCatalogue(
      scopes,
      {
        scopes: {
          'droplet:read': { requires: ['regions:read', 'sizes:read', 'spaces:read'], description: 'View Droplets' },
          'droplet:create': { requires: ['sizes:read'] },
          'nope:read': { requires: [] },
        },
      },
      (m) => warnings.push(m),
    );
    expect(catalogue.requiredWith).toEqual({
      'droplet:create': ['droplet:read', 'sizes:read'],
      'droplet:read': ['regions:read', 'sizes:read'],
    });
    expect(catalogue.descriptions).toEqual({ 'droplet:read': 'View Droplets' });
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).toContain('spaces:read');
    expect(warnings.join('\n')).toContain('nope:read');
  });

  it('adds the scope names DigitalOcean\'s pages document beside the spec\'s, and keeps list scopes read-only', () => {
    const names = catalogueScopes(['nfs:list', 'nfs:read', 'spaces_key:read'], { scopes: { 'spaces_key:read': { requires: ['spaces:read'] } } });
    expect(names).toEqual(['nfs:list', 'nfs:read', 'spaces:read', 'spaces_key:read']);
    expect(genericReadRule(names).has('nfs:list')).toBe(false);
  });

  it('works without required-scopes.json', () => {
    expect(buildCatalogue(scopes, undefined, () => {}).requiredWith).toEqual({ 'droplet:create': ['droplet:read'] });
  });
});

describe('provider analysis', () => {
  it('reads ResourcesMap and DataSourcesMap', () => {
    const types = parseProviderTypes(readFileSync(join(root, 'provider/digitalocean/provider.go'), 'utf8'), 'example.com/provider');
    expect(types.map((t) => [t.key, t.packageDir, t.constructorName])).toEqual([
      ['data.digitalocean_droplet', 'digitalocean/droplet', 'DataSourceDigitalOceanDroplet'],
      ['digitalocean_droplet', 'digitalocean/droplet', 'ResourceDigitalOceanDroplet'],
      ['digitalocean_spaces_bucket', 'digitalocean/spaces', 'ResourceDigitalOceanBucket'],
    ]);
  });

  it('finds godo calls through any client variable, not fields that share a service name', () => {
    const file = parseGoFile(
      'x.go',
      `package x
func f() {
	client.Droplets.Create(ctx, r)
	meta.(*config.CombinedConfig).GodoClient().Droplets.Get(ctx, 1)
	lister(conn.Droplets.List)
	n := tag.Resources.Droplets.Count
}
`,
    );
    const calls = godoCalls(file.funcs[0]!.body, (s) => s === 'Droplets');
    expect(calls.map((c) => c.method)).toEqual(['Create', 'Get', 'List']);
  });

  it('detects Spaces over S3', () => {
    const body = (src: string) => parseGoFile('x.go', `package x\nfunc f() {\n${src}\n}\n`).funcs[0]!.body;
    expect(usesSpaces(body('client, err := meta.(*config.CombinedConfig).SpacesClient(region)'))).toBe(true);
    expect(usesSpaces(body('out, err := s3.New(sess).ListBuckets(nil)'))).toBe(true);
    expect(usesSpaces(body('client.SpacesKeys.Get(ctx, id)'))).toBe(false);
  });

  it('generates both files end to end, following helpers in other packages and leaving sweepers out', () => {
    const out = join(root, 'out');
    mkdirSync(out, { recursive: true });
    const warnings: string[] = [];
    const report = generate(
      { openapi: join(root, 'spec'), provider: join(root, 'provider'), godo: join(root, 'godo'), outDir: out, requiredScopes: join(root, 'absent.json') },
      (m) => warnings.push(m),
    );
    expect(report.coverage).toEqual({ calls: 4, resolved: 4, typeCalls: 4, typeCallsResolved: 4, unresolved: [] });
    expect(report).toMatchObject({ resourceTypes: 2, dataSources: 1, scopes: 6 });
    const resources = readFileSync(join(out, 'resource-scopes.generated.ts'), 'utf8');
    expect(resources).toContain(
      "  'digitalocean_droplet': {\n    scopes: ['droplet:create', 'droplet:update', 'project:assign_resource'],",
    );
    expect(resources).toContain("  'data.digitalocean_droplet': {\n    scopes: ['droplet:read'],");
    expect(resources).toMatch(/'digitalocean_spaces_bucket': \{\n {4}scopes: \[\],\n {4}operations: \[\],\n {4}spacesKey: true,/);
    const catalogue = readFileSync(join(out, 'scope-catalogue.generated.ts'), 'utf8');
    expect(catalogue).toContain("requiredScopes: null");
    expect(catalogue).toContain("  'droplet:create': ['droplet:read'],");
    expect(warnings.some((w) => w.includes('absent.json'))).toBe(true);
  });
});

describe('committed generated files', () => {
  const known = new Set(SCOPES);

  it('name only scopes the spec knows', () => {
    for (const [scope, required] of Object.entries(REQUIRED_WITH)) {
      expect(known.has(scope), scope).toBe(true);
      for (const r of required) expect(known.has(r), `${scope} -> ${r}`).toBe(true);
    }
    for (const [type, entry] of Object.entries(RESOURCE_TYPES)) {
      for (const s of entry.scopes) expect(known.has(s), `${type}: ${s}`).toBe(true);
    }
  });

  it('are sorted', () => {
    expect([...SCOPES]).toEqual([...SCOPES].sort());
    expect(Object.keys(RESOURCE_TYPES)).toEqual(Object.keys(RESOURCE_TYPES).sort());
  });

  it('carry the generic read rule', () => {
    expect(REQUIRED_WITH['droplet:create']).toContain('droplet:read');
  });

  it('give a Droplet its create, delete and read scopes', () => {
    expect(RESOURCE_TYPES.digitalocean_droplet?.scopes).toEqual(expect.arrayContaining(['droplet:create', 'droplet:delete', 'droplet:read']));
  });

  it('mark Spaces buckets as using the Spaces key', () => {
    expect(RESOURCE_TYPES.digitalocean_spaces_bucket?.spacesKey).toBe(true);
  });

  it('give project resource assignment its scope when the provider assigns through POST /v2/projects/{id}/resources', () => {
    const assigning = ['digitalocean_project', 'digitalocean_project_resources'].filter((t) =>
      RESOURCE_TYPES[t]?.operations.includes('POST /v2/projects/{project_id}/resources'),
    );
    expect(assigning.length).toBeGreaterThan(0);
    for (const t of assigning) expect(RESOURCE_TYPES[t]?.scopes).toContain('project:assign_resource');
  });
});
